package kube

import (
	"context"
	"errors"
	"math"
	"net"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/slipway-dev/slipway/pkg/apierror"
)

// WriteError turns the apiserver's answer to a write into an API problem: its refusals of a
// request become 4xx (Knative's webhook validates beyond what Slipway checks up front, and
// its message names the field); the apiserver failing, slow or unreachable is a 503, since
// it is not the caller's fault and may pass. Problems already in apierror's terms pass
// unchanged; nil stays nil.
func WriteError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apierror.As(err); ok {
		return err
	}
	var open *ErrCircuitOpen
	if errors.As(err, &open) {
		return apierror.Unavailable(int(math.Ceil(open.RetryAfter.Seconds())), "%v", open)
	}
	// The detail names no internal address.
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return apierror.Unavailable(5, "the Kubernetes API did not answer in time")
	case errors.As(err, &netErr):
		return apierror.Unavailable(5, "the Kubernetes API is unreachable")
	case apierrors.IsInternalError(err):
		return apierror.Unavailable(5, "the Kubernetes API is failing: %s", apierrors.ReasonForError(err))
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		switch code := status.Status().Code; {
		case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
			return &apierror.Error{Status: 422, Title: "Refused by the cluster", Detail: status.Status().Message}
		case apierrors.IsConflict(err):
			return apierror.Conflict("too many concurrent changes to this app; try again")
		case apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsServiceUnavailable(err) || code == 429:
			return apierror.Unavailable(2, "the Kubernetes API is busy: %s", status.Status().Message)
		}
	}
	return err
}
