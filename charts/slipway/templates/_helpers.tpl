{{/* Labels every object but the builder-shaped ones carries. */}}
{{- define "slipway.labels" -}}
app.kubernetes.io/part-of: slipway
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of a component; call with (list $ "platform-api"). */}}
{{- define "slipway.selector" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $.Release.Name }}
{{- end -}}

{{- define "slipway.platformApi.name" -}}slipway-platform-api{{- end -}}

{{- define "slipway.image" -}}
{{- $ := index . 0 -}}{{- $img := index . 1 -}}
{{- printf "%s:%s" $img.repository (default $.Chart.AppVersion $img.tag) -}}
{{- end -}}

{{/* The audit trail's namespace: config.audit.namespace or the release namespace. */}}
{{- define "slipway.auditNamespace" -}}
{{- default .Release.Namespace (.Values.config.audit | default dict).namespace -}}
{{- end -}}

{{/* Where apps' pipelines and hook credentials are kept (platform-api's Role there). */}}
{{- define "slipway.pipelinesNamespace" -}}
{{- default .Release.Namespace (.Values.config.pipelines | default dict).namespace -}}
{{- end -}}

{{/*
platform-api's configuration file. pkg/config decodes it strictly, so only keys it knows
are written; listen and leaderElection follow the chart's own settings.
*/}}
{{- define "slipway.configFile" -}}
{{- $c := deepCopy .Values.config -}}
{{- $_ := set $c "listen" (printf ":%d" (int .Values.platformApi.port)) -}}
{{- $_ := set $c "leaderElection" (dict "namespace" .Release.Namespace "name" .Values.platformApi.leaseName) -}}
{{- $audit := deepCopy ($c.audit | default dict) -}}
{{- $_ := set $audit "namespace" (include "slipway.auditNamespace" .) -}}
{{- $_ := set $c "audit" $audit -}}
{{- $pipelines := deepCopy ($c.pipelines | default dict) -}}
{{- $_ := set $pipelines "namespace" (include "slipway.pipelinesNamespace" .) -}}
{{- $_ := set $c "pipelines" $pipelines -}}
{{- toYaml $c -}}
{{- end -}}

{{/*
Namespaces the webhook never sees: pkg/podmutator.SystemNamespaces plus the release
namespace (a unit test compares the rendered configuration with the Go builder).
*/}}
{{- define "slipway.webhookExcludedNamespaces" -}}
{{- $ns := list "kube-system" "kube-public" "kube-node-lease" "knative-serving" "knative-eventing" "istio-system" "argo" "slipway-system" -}}
{{- if not (has .Release.Namespace $ns) -}}{{- $ns = append $ns .Release.Namespace -}}{{- end -}}
{{- toJson $ns -}}
{{- end -}}

{{/* Pod security shared by both components: non-root, read-only root, nothing extra. */}}
{{- define "slipway.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- define "slipway.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Soft anti-affinity: replicas on different nodes when the cluster allows. */}}
{{- define "slipway.affinity" -}}
{{- $ := index . 0 -}}{{- $own := index . 1 -}}{{- $name := index . 2 -}}
{{- if $own -}}
{{ toYaml $own }}
{{- else -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "slipway.selector" (list $ $name) | nindent 12 }}
{{- end -}}
{{- end -}}
