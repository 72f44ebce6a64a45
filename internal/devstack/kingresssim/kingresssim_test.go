package kingresssim

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	clienttesting "k8s.io/client-go/testing"
	"knative.dev/networking/pkg/apis/networking"
	"knative.dev/networking/pkg/apis/networking/v1alpha1"
	"knative.dev/networking/pkg/client/clientset/versioned/fake"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// ignoreTimes drops the transition timestamps the condition helpers stamp with time.Now.
var ignoreTimes = cmpopts.IgnoreFields(apis.Condition{}, "LastTransitionTime")

func ingress(class string, generation int64, status v1alpha1.IngressStatus) *v1alpha1.Ingress {
	ing := &v1alpha1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello", Generation: generation},
		Status:     status,
	}
	if class != "" {
		ing.Annotations = map[string]string{networking.IngressClassAnnotationKey: class}
	}
	return ing
}

func readyStatus(generation int64, public, private string) v1alpha1.IngressStatus {
	return v1alpha1.IngressStatus{
		Status: duckv1.Status{
			ObservedGeneration: generation,
			Conditions: duckv1.Conditions{
				{Type: v1alpha1.IngressConditionLoadBalancerReady, Status: corev1.ConditionTrue},
				{Type: v1alpha1.IngressConditionNetworkConfigured, Status: corev1.ConditionTrue},
				{Type: v1alpha1.IngressConditionReady, Status: corev1.ConditionTrue},
			},
		},
		PublicLoadBalancer:  &v1alpha1.LoadBalancerStatus{Ingress: []v1alpha1.LoadBalancerIngressStatus{{DomainInternal: public}}},
		PrivateLoadBalancer: &v1alpha1.LoadBalancerStatus{Ingress: []v1alpha1.LoadBalancerIngressStatus{{DomainInternal: private}}},
	}
}

func TestDesiredStatus(t *testing.T) {
	defaultReady := func(gen int64) v1alpha1.IngressStatus {
		return readyStatus(gen, DefaultPublicGatewayHost, DefaultPrivateGatewayHost)
	}
	tests := []struct {
		name        string
		ing         *v1alpha1.Ingress
		opts        Options
		want        v1alpha1.IngressStatus
		wantChanged bool
	}{{
		name:        "new ingress becomes ready",
		ing:         ingress(DefaultClass, 1, v1alpha1.IngressStatus{}),
		want:        defaultReady(1),
		wantChanged: true,
	}, {
		name: "already ready for this generation is unchanged",
		ing:  ingress(DefaultClass, 3, defaultReady(3)),
		want: defaultReady(3),
	}, {
		name:        "generation bumped",
		ing:         ingress(DefaultClass, 4, defaultReady(3)),
		want:        defaultReady(4),
		wantChanged: true,
	}, {
		name:        "configured gateway hosts differ from reported ones",
		ing:         ingress("my-class", 2, defaultReady(2)),
		opts:        Options{Class: "my-class", PublicGatewayHost: "pub.example", PrivateGatewayHost: "priv.example"},
		want:        readyStatus(2, "pub.example", "priv.example"),
		wantChanged: true,
	}, {
		name: "other class is ignored",
		ing:  ingress("kourier.ingress.networking.knative.dev", 1, v1alpha1.IngressStatus{}),
		want: v1alpha1.IngressStatus{},
	}, {
		name: "no class annotation is ignored",
		ing:  ingress("", 1, v1alpha1.IngressStatus{}),
		want: v1alpha1.IngressStatus{},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.ing.DeepCopy()
			got, changed := DesiredStatus(tc.ing, tc.opts)
			if changed != tc.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tc.wantChanged)
			}
			if diff := cmp.Diff(tc.want, got, ignoreTimes); diff != "" {
				t.Errorf("DesiredStatus (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tc.ing); diff != "" {
				t.Errorf("DesiredStatus modified its input (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestRunMarksIngressReady(t *testing.T) {
	client := fake.NewSimpleClientset()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, client, Options{}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})

	// The fake clientset does not replay events to late watchers, so create the Ingress only
	// once the informer's watch is registered (the fake records it only after registering).
	poll(t, "informer watch", func() bool {
		for _, a := range client.Actions() {
			if a.Matches("watch", "ingresses") {
				return true
			}
		}
		return false
	})

	ingresses := client.NetworkingV1alpha1().Ingresses("default")
	if _, err := ingresses.Create(ctx, ingress(DefaultClass, 1, v1alpha1.IngressStatus{}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ingresses.Create(ctx, &v1alpha1.Ingress{ObjectMeta: metav1.ObjectMeta{
		Namespace: "default", Name: "other", Generation: 1,
		Annotations: map[string]string{networking.IngressClassAnnotationKey: "other-class"},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitReady := func(gen int64) {
		var got *v1alpha1.Ingress
		poll(t, "Ingress ready", func() bool {
			var err error
			got, err = ingresses.Get(ctx, "hello", metav1.GetOptions{})
			return err == nil && got.IsReady() && got.Status.ObservedGeneration == gen
		})
		want := readyStatus(gen, DefaultPublicGatewayHost, DefaultPrivateGatewayHost)
		if diff := cmp.Diff(want, got.Status, ignoreTimes); diff != "" {
			t.Errorf("status (-want,+got):\n%s", diff)
		}
	}
	waitReady(1)

	// A spec change bumps the generation; the status must follow it.
	ing, err := ingresses.Get(ctx, "hello", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Generation = 2
	if _, err := ingresses.Update(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitReady(2)

	var writes []string
	for _, a := range client.Actions() {
		if a.Matches("update", "ingresses") && a.GetSubresource() == "status" {
			writes = append(writes, a.(clienttesting.UpdateAction).GetObject().(*v1alpha1.Ingress).Name)
		}
	}
	// One write per generation of "hello"; none for the other class or for our own echoes.
	if diff := cmp.Diff([]string{"hello", "hello"}, writes); diff != "" {
		t.Errorf("status writes (-want,+got):\n%s", diff)
	}
}

// poll waits up to 5 s for cond, failing the test if it never holds.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 5*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
