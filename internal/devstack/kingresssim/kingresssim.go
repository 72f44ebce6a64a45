// Package kingresssim is a SIMULATION used only by the dev stack. It stands in for the status
// half of net-istio, the Knative networking layer for Istio, which cannot run on this machine.
//
// Knative's Route reconciler creates KIngress objects (networking.internal.knative.dev/v1alpha1
// Ingress) and waits for them to become Ready. For every Ingress of the configured ingress class,
// this package writes the status net-istio would write once its gateways were programmed:
// observedGeneration, NetworkConfigured, and LoadBalancerReady with the public and private
// gateway hosts. It does nothing else: it creates no Istio resources, probes no gateway and never
// dials anything; the only connection it uses is the Kubernetes client it is given. It must never
// be linked into a production binary.
package kingresssim

import (
	"context"
	"fmt"
	"log/slog"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"knative.dev/networking/pkg/apis/networking"
	"knative.dev/networking/pkg/apis/networking/v1alpha1"
	networkingclientset "knative.dev/networking/pkg/client/clientset/versioned"
	informers "knative.dev/networking/pkg/client/informers/externalversions"
	listers "knative.dev/networking/pkg/client/listers/networking/v1alpha1"
)

// Defaults match a stock net-istio install, so Routes get the addresses they would in a cluster.
const (
	DefaultClass              = "istio.ingress.networking.knative.dev"
	DefaultPublicGatewayHost  = "istio-ingressgateway.istio-system.svc.cluster.local"
	DefaultPrivateGatewayHost = "knative-local-gateway.istio-system.svc.cluster.local"
)

// Options configures the simulator. Zero fields take the defaults above.
type Options struct {
	// Class is the value of the networking.knative.dev/ingress.class annotation to handle.
	Class string
	// PublicGatewayHost is reported as the public load balancer's DomainInternal.
	PublicGatewayHost string
	// PrivateGatewayHost is reported as the private (cluster-local) load balancer's DomainInternal.
	PrivateGatewayHost string
	// Logger receives progress and errors; nil discards them.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Class == "" {
		o.Class = DefaultClass
	}
	if o.PublicGatewayHost == "" {
		o.PublicGatewayHost = DefaultPublicGatewayHost
	}
	if o.PrivateGatewayHost == "" {
		o.PrivateGatewayHost = DefaultPrivateGatewayHost
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// DesiredStatus returns the status net-istio would report for ing, and whether it differs from
// the current one. Ingresses of another class, and ones already Ready for their current
// generation with the same load balancers, come back unchanged so callers skip the write.
// ing is not modified.
func DesiredStatus(ing *v1alpha1.Ingress, opts Options) (v1alpha1.IngressStatus, bool) {
	opts = opts.withDefaults()
	if ing.Annotations[networking.IngressClassAnnotationKey] != opts.Class {
		return ing.Status, false
	}
	pub := &v1alpha1.LoadBalancerStatus{Ingress: []v1alpha1.LoadBalancerIngressStatus{{DomainInternal: opts.PublicGatewayHost}}}
	priv := &v1alpha1.LoadBalancerStatus{Ingress: []v1alpha1.LoadBalancerIngressStatus{{DomainInternal: opts.PrivateGatewayHost}}}
	if ing.IsReady() &&
		equality.Semantic.DeepEqual(ing.Status.PublicLoadBalancer, pub) &&
		equality.Semantic.DeepEqual(ing.Status.PrivateLoadBalancer, priv) {
		return ing.Status, false
	}
	st := *ing.Status.DeepCopy()
	st.ObservedGeneration = ing.Generation
	st.InitializeConditions()
	st.MarkNetworkConfigured()
	st.MarkLoadBalancerReady(pub.Ingress, priv.Ingress)
	return st, true
}

// Run watches Ingresses through client and writes DesiredStatus for each one that needs it,
// until ctx is done. It returns nil on cancellation and an error only if it cannot start.
func Run(ctx context.Context, client networkingclientset.Interface, opts Options) error {
	opts = opts.withDefaults()
	log := opts.Logger

	factory := informers.NewSharedInformerFactory(client, 0)
	defer factory.Shutdown()
	ingresses := factory.Networking().V1alpha1().Ingresses()
	lister := ingresses.Lister()

	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer queue.ShutDown()

	enqueue := func(obj any) {
		ing, ok := obj.(*v1alpha1.Ingress)
		if !ok || ing.Annotations[networking.IngressClassAnnotationKey] != opts.Class {
			return
		}
		queue.Add(cache.MetaObjectToName(ing).String())
	}
	// Deletes need nothing: the simulator owns no resources to clean up.
	if _, err := ingresses.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return fmt.Errorf("kingresssim: add event handler: %w", err)
	}

	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("kingresssim: cache for %v did not sync", typ)
		}
	}
	log.Info("simulating net-istio Ingress status", "class", opts.Class,
		"public", opts.PublicGatewayHost, "private", opts.PrivateGatewayHost)

	// Get blocks; shutting the queue down is what wakes the loop when ctx ends.
	go func() {
		<-ctx.Done()
		queue.ShutDown()
	}()
	for {
		key, quit := queue.Get()
		if quit {
			return nil
		}
		err := reconcile(ctx, client, lister, key, opts)
		switch {
		case err == nil:
			queue.Forget(key)
		case apierrors.IsConflict(err):
			// Our cached copy was stale; the informer brings the newer one, retry from that.
			log.Debug("status update conflict, retrying", "ingress", key)
			queue.AddRateLimited(key)
		case ctx.Err() != nil:
			// Shutting down; the error is just the cancelled request.
		default:
			log.Warn("status update failed, retrying", "ingress", key, "err", err)
			queue.AddRateLimited(key)
		}
		queue.Done(key)
	}
}

// reconcile writes the desired status for the Ingress named by key, read from the informer cache.
func reconcile(ctx context.Context, client networkingclientset.Interface, lister listers.IngressLister, key string, opts Options) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // malformed keys cannot heal on retry
	}
	ing, err := lister.Ingresses(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	st, changed := DesiredStatus(ing, opts)
	if !changed {
		return nil
	}
	ing = ing.DeepCopy() // cached objects are shared and must not be mutated
	ing.Status = st
	_, err = client.NetworkingV1alpha1().Ingresses(ns).UpdateStatus(ctx, ing, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err == nil {
		opts.Logger.Debug("marked Ingress ready", "ingress", key, "generation", ing.Generation)
	}
	return err
}
