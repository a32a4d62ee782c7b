{{/* Labels on every object the chart writes itself (the RBAC is the library's template as is). */}}
{{- define "acr-credential.labels" -}}
app.kubernetes.io/name: acr-credential
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "acr-credential.selector" -}}
app.kubernetes.io/name: acr-credential
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "acr-credential.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The pull Secret names the RBAC grants: rbac.pullSecretNames, plus the combined Secret. */}}
{{- define "acr-credential.secretNames" -}}
{{- $names := .Values.rbac.pullSecretNames | default list -}}
{{- if eq (toString (index .Values.configuration "secret-layout")) "combined" -}}
{{- $names = append $names (index .Values.configuration "secret-name" | default "acr-credentials") -}}
{{- end -}}
{{- if not $names -}}
{{- fail "rbac.pullSecretNames is empty: list the pull Secret names (acr-credential-<md5 hex of each domain>), or set configuration.secret-layout: combined" -}}
{{- end -}}
{{- $names | uniq | toJson -}}
{{- end }}

{{- define "acr-credential.webhookConfiguration" -}}
enable: true
failure-policy: {{ .Values.webhook.failurePolicy }}
timeout-seconds: {{ .Values.webhook.timeoutSeconds }}
{{- end }}
