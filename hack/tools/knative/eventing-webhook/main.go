// Command eventing-webhook runs Knative Eventing's admission and conversion webhooks for the
// dev stack's PingSources. It is upstream's cmd/webhook (knative.dev/eventing v0.50.0) with
// the same configuration stores, admission controllers and PingSource conversion, minus
// what the dev stack cannot host or does not use: the health-probe server (hard-wired to
// :8080, where platform-api listens), the SinkBinding webhook, and the types Slipway never
// writes (their webhook rules are derived from this list, so the apiserver sends none here).
package main

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kubeclient "knative.dev/pkg/client/injection/kube/client"
	filteredFactory "knative.dev/pkg/client/injection/kube/informers/factory/filtered"
	"knative.dev/pkg/configmap"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/injection/sharedmain"
	"knative.dev/pkg/leaderelection"
	"knative.dev/pkg/logging"
	"knative.dev/pkg/signals"
	"knative.dev/pkg/webhook"
	"knative.dev/pkg/webhook/certificates"
	"knative.dev/pkg/webhook/configmaps"
	"knative.dev/pkg/webhook/resourcesemantics"
	"knative.dev/pkg/webhook/resourcesemantics/conversion"
	"knative.dev/pkg/webhook/resourcesemantics/defaulting"
	"knative.dev/pkg/webhook/resourcesemantics/validation"

	defaultconfig "knative.dev/eventing/pkg/apis/config"
	"knative.dev/eventing/pkg/apis/feature"
	channeldefaultconfig "knative.dev/eventing/pkg/apis/messaging/config"
	"knative.dev/eventing/pkg/apis/sinks"
	"knative.dev/eventing/pkg/apis/sources"
	pingdefaultconfig "knative.dev/eventing/pkg/apis/sources/config"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	sourcesv1beta2 "knative.dev/eventing/pkg/apis/sources/v1beta2"
	"knative.dev/eventing/pkg/apis/sugar"
	"knative.dev/eventing/pkg/auth"
	versionedscheme "knative.dev/eventing/pkg/client/clientset/versioned/scheme"
	"knative.dev/eventing/pkg/eventingtls"
	o11yconfigmap "knative.dev/eventing/pkg/observability/configmap"
)

func init() {
	_ = versionedscheme.AddToScheme(scheme.Scheme)
}

var ourTypes = map[schema.GroupVersionKind]resourcesemantics.GenericCRD{
	sourcesv1beta2.SchemeGroupVersion.WithKind("PingSource"): &sourcesv1beta2.PingSource{},
	sourcesv1.SchemeGroupVersion.WithKind("PingSource"):      &sourcesv1.PingSource{},
}

// withDefaultingConfig and withValidationConfig decorate each request's context with the
// same configuration stores upstream's constructors do.
func withDefaultingConfig(ctx context.Context, cmw configmap.Watcher) func(context.Context) context.Context {
	store := defaultconfig.NewStore(logging.FromContext(ctx).Named("config-store"))
	store.WatchConfigs(cmw)
	channelStore := channeldefaultconfig.NewStore(logging.FromContext(ctx).Named("channel-config-store"))
	channelStore.WatchConfigs(cmw)
	featureStore := feature.NewStore(logging.FromContext(ctx).Named("feature-config-store"))
	featureStore.WatchConfigs(cmw)
	return func(ctx context.Context) context.Context {
		return featureStore.ToContext(channelStore.ToContext(store.ToContext(ctx)))
	}
}

func withValidationConfig(ctx context.Context, cmw configmap.Watcher) func(context.Context) context.Context {
	defaults := withDefaultingConfig(ctx, cmw)
	pingStore := pingdefaultconfig.NewStore(logging.FromContext(ctx).Named("ping-config-store"))
	pingStore.WatchConfigs(cmw)
	k8s := kubeclient.Get(ctx)
	return func(ctx context.Context) context.Context {
		return sinks.WithConfig(defaults(pingStore.ToContext(ctx)), &sinks.Config{KubeClient: k8s})
	}
}

func newDefaulting(ctx context.Context, cmw configmap.Watcher) *controller.Impl {
	return defaulting.NewAdmissionController(ctx, "webhook.eventing.knative.dev", "/defaulting",
		ourTypes, withDefaultingConfig(ctx, cmw), true)
}

func newValidation(ctx context.Context, cmw configmap.Watcher) *controller.Impl {
	return validation.NewAdmissionController(ctx, "validation.webhook.eventing.knative.dev", "/resource-validation",
		ourTypes, withValidationConfig(ctx, cmw), true, map[schema.GroupVersionKind]validation.Callback{})
}

func newConfigValidation(ctx context.Context, _ configmap.Watcher) *controller.Impl {
	return configmaps.NewAdmissionController(ctx, "config.webhook.eventing.knative.dev", "/config-validation",
		configmap.Constructors{
			o11yconfigmap.Name():           o11yconfigmap.Parse,
			logging.ConfigMapName():        logging.NewConfigFromConfigMap,
			leaderelection.ConfigMapName(): leaderelection.NewConfigFromConfigMap,
			sugar.ConfigName:               sugar.NewConfigFromConfigMap,
		})
}

func newConversion(ctx context.Context, cmw configmap.Watcher) *controller.Impl {
	v1beta2, v1 := sourcesv1beta2.SchemeGroupVersion.Version, sourcesv1.SchemeGroupVersion.Version
	return conversion.NewConversionController(ctx, "/resource-conversion",
		map[schema.GroupKind]conversion.GroupKindConversion{
			sourcesv1.Kind("PingSource"): {
				DefinitionName: sources.PingSourceResource.String(),
				HubVersion:     v1beta2,
				Zygotes: map[string]conversion.ConvertibleObject{
					v1beta2: &sourcesv1beta2.PingSource{},
					v1:      &sourcesv1.PingSource{},
				},
			},
		},
		withDefaultingConfig(ctx, cmw))
}

func main() {
	ctx := webhook.WithOptions(signals.NewContext(), webhook.Options{
		ServiceName: webhook.NameFromEnv(),
		Port:        webhook.PortFromEnv(8443),
		SecretName:  "eventing-webhook-certs",
	})
	ctx = sharedmain.WithHealthProbesDisabled(ctx)
	ctx = filteredFactory.WithSelectors(ctx, auth.OIDCLabelSelector, eventingtls.TrustBundleLabelSelector)
	sharedmain.WebhookMainWithContext(ctx, webhook.NameFromEnv(),
		certificates.NewController,
		newConfigValidation,
		newValidation,
		newDefaulting,
		newConversion,
	)
}
