{{- define "access.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cloudphoenix
{{- end -}}

{{- define "access.name" -}}
{{- printf "%s-access" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
