{{- define "cloudphoenix.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cloudphoenix.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Whether an object of the Prometheus operator's kind renders: asked for, and its CRD is
     served by the cluster (or the check is waived, as for helm template without
     --api-versions). Called with (dict "values" .Values.X "kind" "ServiceMonitor" "root" $). */}}
{{- define "cloudphoenix.operatorObject" -}}
{{- if and .values.enabled (or .values.force (.root.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" .kind))) -}}
true
{{- end -}}
{{- end -}}

{{- define "cloudphoenix.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "cloudphoenix.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "cloudphoenix.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cloudphoenix.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: bot
{{- end -}}

{{- define "cloudphoenix.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ include "cloudphoenix.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end -}}

{{- define "cloudphoenix.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cloudphoenix.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "cloudphoenix.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .appVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* redis when the bot shares its state through Redis, else sqlite (one replica). */}}
{{- define "cloudphoenix.storeKind" -}}
{{- if or .Values.redis.enabled .Values.store.url .Values.store.existingSecret -}}
redis
{{- else -}}
sqlite
{{- end -}}
{{- end -}}

{{- define "cloudphoenix.redisHost" -}}
{{- printf "%s-redis" (include "cloudphoenix.fullname" .) -}}
{{- end -}}

{{/* The namespaces whose Deployments the bot may restart and scale. */}}
{{- define "cloudphoenix.workloadNamespaces" -}}
{{- if .Values.rbac.workloadNamespaces -}}
{{- toYaml (uniq .Values.rbac.workloadNamespaces) -}}
{{- else -}}
{{- toYaml (list .Release.Namespace) -}}
{{- end -}}
{{- end -}}

{{/* Refuse combinations of values that cannot work, each with one clear sentence. */}}
{{- define "cloudphoenix.validate" -}}
{{- $kind := include "cloudphoenix.storeKind" . -}}
{{- if and (gt (int .Values.replicaCount) 1) (eq $kind "sqlite") -}}
{{- fail (printf "replicaCount is %d but the store is SQLite, which holds one replica's state in a file: several replicas need a shared Redis store. Set redis.enabled=true, or store.url=redis://… (or store.existingSecret) for an external Redis, or replicaCount=1." (int .Values.replicaCount)) -}}
{{- end -}}
{{- if or (eq .Values.image.tag "latest") (and .Values.redis.enabled (eq .Values.redis.image.tag "latest")) -}}
{{- fail "image tag latest is refused: pin a version (image.tag, redis.image.tag) or an image digest, so that every replica runs the same code." -}}
{{- end -}}
{{- if and .Values.redis.enabled (or .Values.store.url .Values.store.existingSecret) -}}
{{- fail "redis.enabled is true and store.url / store.existingSecret name an external Redis: choose one." -}}
{{- end -}}
{{- if and .Values.store.url .Values.store.existingSecret -}}
{{- fail "store.url and store.existingSecret are both set: give the Redis URL one way." -}}
{{- end -}}
{{- if and (eq .Values.cloudIdentity.aws.tokenSource "projected") (not .Values.cloudIdentity.aws.roleArn) -}}
{{- fail "cloudIdentity.aws.tokenSource is projected but cloudIdentity.aws.roleArn is empty: the projected token needs the role to assume." -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) -}}
{{- fail "ingress.enabled is true but ingress.host is empty: give the host of the Slack app's Request URL." -}}
{{- end -}}
{{- if and .Values.ingress.enabled (ne .Values.slack.mode "http") -}}
{{- fail "ingress.enabled is true but slack.mode is socket: only HTTP mode takes Slack's requests through an ingress (Socket Mode needs none)." -}}
{{- end -}}
{{- if and .Values.cloudIdentity.azure.clientId (not .Values.cloudIdentity.azure.tenantId) (eq .Values.cloudIdentity.azure.tokenSource "projected") -}}
{{- fail "cloudIdentity.azure.tokenSource is projected but cloudIdentity.azure.tenantId is empty: the token exchange needs the tenant." -}}
{{- end -}}
{{- end -}}
