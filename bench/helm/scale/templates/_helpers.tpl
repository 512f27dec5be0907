{{- define "scale.selectorLabels" -}}
app.kubernetes.io/component: server
app.kubernetes.io/instance: {{ . }}
app.kubernetes.io/name: web
{{- end -}}

{{- define "scale.labels" -}}
{{ include "scale.selectorLabels" . }}
app.kubernetes.io/managed-by: cdk8s-ops-kit
{{- end -}}

{{- define "scale.config" -}}
listen {{ . }}
{{- end -}}
