package devstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/podmutator"
)

// PodMutator is where the dev stack's pod-mutator is to serve, on 127.0.0.1.
type PodMutator struct {
	Registration podmutator.Registration
	// CertDir receives the certificate Secret's keys.
	CertDir                 string
	MetricsPort, HealthPort int
}

// Args are the pod-mutator binary's flags for p.
func (p PodMutator) Args(configPath, kubeconfig string) []string {
	return []string{
		"--config=" + configPath, "--kubeconfig=" + kubeconfig,
		"--name=" + p.Registration.Name, "--namespace=" + p.Registration.Namespace,
		"--host=127.0.0.1", "--port=" + strconv.Itoa(int(p.Registration.Port)), "--cert-dir=" + p.CertDir,
		"--metrics-addr=" + p.MetricsAddr(), "--health-addr=" + p.HealthAddr(),
	}
}

// MetricsAddr serves /metrics.
func (p PodMutator) MetricsAddr() string { return "127.0.0.1:" + strconv.Itoa(p.MetricsPort) }

// HealthAddr serves /healthz and /readyz.
func (p PodMutator) HealthAddr() string { return "127.0.0.1:" + strconv.Itoa(p.HealthPort) }

// SetUpPodMutator registers a pod-mutator named after reg (its Port is chosen
// here) that is to listen on 127.0.0.1: an ExternalName Service to localhost
// (as for Knative's webhook), the empty certificate Secret and the
// MutatingWebhookConfiguration from pkg/podmutator's builders. No kubelet runs
// here to mount the Secret, so the stack writes its keys into CertDir itself,
// as the kubelet would, until Stop.
func (s *Stack) SetUpPodMutator(ctx context.Context, reg podmutator.Registration) (PodMutator, error) {
	ports, err := testutil.FreePorts(3)
	if err != nil {
		return PodMutator{}, err
	}
	reg.Port = int32(ports[0])
	p := PodMutator{Registration: reg, MetricsPort: ports[1], HealthPort: ports[2], CertDir: filepath.Join(s.Dir, reg.Name, "certs")}
	return p, s.registerPodMutator(ctx, p)
}

func (s *Stack) registerPodMutator(ctx context.Context, p PodMutator) error {
	reg, certDir := p.Registration, p.CertDir
	client, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: reg.Name, Namespace: reg.Namespace},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost",
			Ports: []corev1.ServicePort{{Name: "https-webhook", Port: reg.Port, TargetPort: intstr.FromInt32(reg.Port)}}},
	}
	if err := ensure(client.CoreV1().Services(reg.Namespace).Create(ctx, svc, metav1.CreateOptions{})); err != nil {
		return err
	}
	if err := ensure(client.CoreV1().Secrets(reg.Namespace).Create(ctx, podmutator.CertSecret(reg), metav1.CreateOptions{})); err != nil {
		return err
	}
	if err := ensure(client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, podmutator.WebhookConfiguration(reg), metav1.CreateOptions{})); err != nil {
		return err
	}
	if err := os.RemoveAll(certDir); err != nil {
		return err
	}
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return err
	}
	return s.projectSecret(client, reg.Namespace, reg.SecretName(), certDir)
}

// projectSecret keeps dir holding one file per key of the Secret, each
// replaced by a rename so that a reader never sees half a file.
func (s *Stack) projectSecret(client kubernetes.Interface, namespace, name, dir string) error {
	factory := informers.NewSharedInformerFactoryWithOptions(client, time.Minute, informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}))
	informer := factory.Core().V1().Secrets().Informer()
	write := func(obj any) {
		secret, ok := obj.(*corev1.Secret)
		if !ok {
			return
		}
		for key, value := range secret.Data {
			if err := writeAtomically(filepath.Join(dir, key), value); err != nil {
				s.Logger.Error("projecting the pod-mutator's certificate Secret", "key", key, "err", err)
			}
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    write,
		UpdateFunc: func(_, obj any) { write(obj) },
	}); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopBackground = append(s.stopBackground, func() { cancel(); factory.Shutdown() })
	factory.Start(ctx.Done())
	return nil
}

func writeAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}
