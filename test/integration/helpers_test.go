//go:build integration

package integration

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func corev1Container(image string) corev1.Container { return corev1.Container{Image: image} }

// meetRestricted sets what Pod Security's restricted profile asks of a pod that tests create
// directly in an environment namespace (the Pod Security Policy refuses anything less): a
// non-root pod with the runtime's seccomp profile, containers without privilege escalation
// and with every capability dropped.
func meetRestricted(pod *corev1.Pod) *corev1.Pod {
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].SecurityContext = &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
	}
	return pod
}
