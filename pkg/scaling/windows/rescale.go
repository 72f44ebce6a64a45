package windows

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Deployer makes a deploy (apps.Platform).
type Deployer interface {
	Deploy(ctx context.Context, user string, t records.Target, req revisions.DeployRequest) (apps.DeployResult, error)
}

// Rescale deploys the app's current template again with the request's knobs over its own:
// Knative keeps scaling settings on the revision template, so a change is a new revision
// (strategy replace: it takes all traffic). Everything else of the spec stays.
func (w *Windows) Rescale(ctx context.Context, user string, t records.Target, req revisions.ScaleRequest) (apps.DeployResult, error) {
	env, err := w.records.Resolve(t)
	if err != nil {
		return apps.DeployResult{}, err
	}
	// Built from what the app runs now, not the cache: a deploy just before (a pipeline's,
	// then "slipway scale set") must not be undone by a template the cache still holds.
	svc, err := w.records.LiveService(ctx, t)
	if err != nil {
		return apps.DeployResult{}, err
	}
	app, err := revisions.AppWithoutHistory(svc)
	if err != nil {
		return apps.DeployResult{}, err
	}
	if req.Scaling == (revisions.Scaling{}) {
		// Nothing to change would still be a new revision taking all traffic.
		return apps.DeployResult{}, apierror.Invalid(field.ErrorList{field.Required(field.NewPath("scaling"), "give at least one knob")})
	}
	message := req.Message
	if message == "" {
		message = "scale: " + describe(req.Scaling)
	}
	deploy := app.Template.Redeploy(env, app.Template.Scaling().Over(req.Scaling), message)
	deploy.BreakGlass = req.BreakGlass
	return w.deployer.Deploy(ctx, user, t, deploy)
}

// describe lists the knobs a request sets, for the default message.
func describe(s revisions.Scaling) string {
	var parts []string
	add32 := func(name string, v *int32) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s=%d", name, *v))
		}
	}
	addS := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add32("minScale", s.MinScale)
	add32("maxScale", s.MaxScale)
	add32("initialScale", s.InitialScale)
	add32("target", s.Target)
	addS("metric", s.Metric)
	add32("targetUtilization", s.TargetUtilization)
	addS("scaleDownDelay", s.ScaleDownDelay)
	addS("window", s.Window)
	if s.ContainerConcurrency != nil {
		parts = append(parts, fmt.Sprintf("containerConcurrency=%d", *s.ContainerConcurrency))
	}
	if len(parts) == 0 {
		return "unchanged"
	}
	return strings.Join(parts, " ")
}
