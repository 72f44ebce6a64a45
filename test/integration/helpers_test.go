//go:build integration

package integration

import corev1 "k8s.io/api/core/v1"

func corev1Container(image string) corev1.Container { return corev1.Container{Image: image} }
