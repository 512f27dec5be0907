{{/* Object names are given by the values; truncated like most charts do. */}}
{{- define "baseline.name" -}}
{{- . | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: name, instance, component. Arguments: (dict "root" $ "labels" .labels). */}}
{{- define "baseline.selectorLabels" -}}
{{- with .labels.component }}app.kubernetes.io/component: {{ . }}
{{ end -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .labels.name }}
app.kubernetes.io/name: {{ . }}
{{- end }}
{{- end -}}

{{/* Standard labels: the selector labels plus managed-by, part-of, version and any extra ones. */}}
{{- define "baseline.labels" -}}
{{- include "baseline.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .root.Values.managedBy }}
{{- with (.labels.partOf | default .root.Values.partOf) }}
app.kubernetes.io/part-of: {{ . }}
{{- end }}
{{- with .labels.version }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
{{- range $k, $v := .labels.extra }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/* metadata: name, namespace (unless cluster-scoped), labels, annotations. */}}
{{- define "baseline.metadata" -}}
metadata:
  name: {{ include "baseline.name" .obj.name }}
  {{- if not .clusterScoped }}
  namespace: {{ .root.Release.Namespace }}
  {{- end }}
  labels:
    {{- include "baseline.labels" (dict "root" .root "labels" .obj.labels) | nindent 4 }}
  {{- $annotations := merge (dict) (.obj.annotations | default dict) .root.Values.commonAnnotations }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* One container. Arguments: (dict "root" $ "c" .). */}}
{{- define "baseline.container" -}}
- name: {{ .c.name }}
  image: {{ .c.image | quote }}
  imagePullPolicy: {{ .c.imagePullPolicy | default .root.Values.defaults.imagePullPolicy }}
  {{- with .c.command }}
  command:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .c.args }}
  args:
    {{- range . }}
    - {{ . | quote }}
    {{- end }}
  {{- end }}
  {{- with .c.ports }}
  ports:
    {{- range . }}
    - containerPort: {{ .containerPort }}
      {{- with .name }}
      name: {{ . }}
      {{- end }}
      {{- with .protocol }}
      protocol: {{ . }}
      {{- end }}
      {{- with .hostPort }}
      hostPort: {{ . }}
      {{- end }}
    {{- end }}
  {{- end }}
  {{- with .c.env }}
  env:
    {{- range . }}
    - name: {{ .name }}
      {{- if hasKey . "valueFrom" }}
      valueFrom:
        {{- toYaml .valueFrom | nindent 8 }}
      {{- else }}
      value: {{ .value | quote }}
      {{- end }}
    {{- end }}
  {{- end }}
  {{- with .c.envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- range $probe := list "livenessProbe" "readinessProbe" "startupProbe" }}
  {{- with (index $.c $probe) }}
  {{ $probe }}:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- end }}
  {{- with .c.lifecycle }}
  lifecycle:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  resources:
    {{- toYaml (.c.resources | default dict) | nindent 4 }}
  securityContext:
    {{- toYaml (.c.securityContext | default .root.Values.defaults.containerSecurityContext) | nindent 4 }}
  {{- with .c.volumeMounts }}
  volumeMounts:
    {{- range . }}
    - mountPath: {{ .mountPath }}
      name: {{ .name }}
      {{- with .subPath }}
      subPath: {{ . }}
      {{- end }}
      {{- if .readOnly }}
      readOnly: true
      {{- end }}
    {{- end }}
  {{- end }}
  {{- with .c.extra }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* A pod template (metadata and spec) of a workload, Job or CronJob. Arguments: (dict "root" $ "w" .). */}}
{{- define "baseline.podTemplate" -}}
{{- $root := .root }}
{{- $w := .w -}}
template:
  metadata:
    labels:
      {{- include "baseline.labels" (dict "root" $root "labels" $w.labels) | nindent 6 }}
    {{- with $w.podAnnotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    automountServiceAccountToken: {{ $w.automountServiceAccountToken | default false }}
    {{- with $w.serviceAccountName }}
    serviceAccountName: {{ . }}
    {{- end }}
    {{- with $w.imagePullSecrets }}
    imagePullSecrets:
      {{- range . }}
      - name: {{ . }}
      {{- end }}
    {{- end }}
    {{- with $w.initContainers }}
    initContainers:
      {{- range . }}
      {{- include "baseline.container" (dict "root" $root "c" .) | nindent 6 }}
      {{- end }}
    {{- end }}
    containers:
      {{- range $w.containers }}
      {{- include "baseline.container" (dict "root" $root "c" .) | nindent 6 }}
      {{- end }}
    securityContext:
      {{- toYaml ($w.podSecurityContext | default $root.Values.defaults.podSecurityContext) | nindent 6 }}
    nodeSelector:
      {{- toYaml ($w.nodeSelector | default dict) | nindent 6 }}
    {{- with $w.tolerations }}
    tolerations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $w.affinity }}
    affinity:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $w.volumes }}
    volumes:
      {{- range . }}
      - name: {{ .name }}
        {{- with .claim }}
        persistentVolumeClaim:
          claimName: {{ . }}
        {{- end }}
        {{- with .configMap }}
        configMap:
          {{- toYaml . | nindent 10 }}
        {{- end }}
        {{- with .source }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
    {{- end }}
    {{- with $w.extraPod }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
