{{- define "reference.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: reference-services
{{- end -}}

{{- define "reference.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- printf "%s-reference" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
default
{{- end -}}
{{- end -}}

{{- define "reference.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* One service: Deployment, Service, PodDisruptionBudget, NetworkPolicy.
     Called with (dict "root" $ "svc" .Values.serviceX "module" "service_x" "workers" N "env" LIST). */}}
{{- define "reference.workload" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $selector := dict "app.kubernetes.io/name" $svc.name "app.kubernetes.io/instance" $root.Release.Name -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $svc.name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "reference.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $svc.name }}
  annotations:
    {{- if not $root.Values.image.digest }}
    checkov.io/skip1: CKV_K8S_43=Pinned by tag unless image.digest is set; set it to pin the exact image.
    {{- end }}
    {{- if ne $root.Values.image.pullPolicy "Always" }}
    checkov.io/skip2: CKV_K8S_15=IfNotPresent so that a restarted pod does not depend on the image registry during an outage.
    {{- end }}
    {{- if $svc.database }}{{ if $svc.database.existingSecret }}
    checkov.io/skip3: CKV_K8S_35=The service reads DATABASE_URL from its environment.
    {{- end }}{{ end }}
spec:
  replicas: {{ $svc.replicas }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- toYaml $selector | nindent 6 }}
  template:
    metadata:
      labels:
        {{- toYaml $selector | nindent 8 }}
    spec:
      serviceAccountName: {{ include "reference.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      {{- if .initSqlite }}
      initContainers:
        - name: create-database
          image: {{ include "reference.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["python", "-c", "import sqlite3; sqlite3.connect('/data/app.db').close()"]
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- include "reference.containerSecurity" . | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: /data
      {{- end }}
      containers:
        - name: {{ $svc.name }}
          image: {{ include "reference.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command:
            - gunicorn
            - --bind=0.0.0.0:8080
            - --workers={{ .workers }}
            - --threads=4
            - --worker-tmp-dir=/tmp
            - --access-logfile=-
            - {{ printf "reference_services.%s:create_app()" .module | quote }}
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          env:
            {{- toYaml .env | nindent 12 }}
            - name: S3_BUCKET
              value: {{ $root.Values.s3.bucket | quote }}
            - name: AWS_REGION
              value: {{ $root.Values.s3.region | quote }}
            {{- with $root.Values.s3.endpointUrl }}
            - name: S3_ENDPOINT_URL
              value: {{ . | quote }}
            {{- end }}
            - name: FAULT_INJECTION
              value: {{ $root.Values.faultInjection | quote }}
          livenessProbe:
            httpGet:
              path: /live
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
          readinessProbe:
            httpGet:
              path: /ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- include "reference.containerSecurity" . | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if .initSqlite }}
            - name: data
              mountPath: /data
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- if .initSqlite }}
        - name: data
          emptyDir:
            sizeLimit: 256Mi
        {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $svc.name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "reference.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $svc.name }}
spec:
  type: ClusterIP
  selector:
    {{- toYaml $selector | nindent 4 }}
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $svc.name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "reference.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $svc.name }}
spec:
  {{- if gt (int $svc.replicas) 1 }}
  minAvailable: 1
  {{- else }}
  maxUnavailable: 1
  {{- end }}
  selector:
    matchLabels:
      {{- toYaml $selector | nindent 6 }}
{{- if $root.Values.networkPolicy.enabled }}
---
# Callers reach port http; the service reaches DNS, its database and S3 (HTTPS).
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $svc.name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "reference.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $svc.name }}
spec:
  podSelector:
    matchLabels:
      {{- toYaml $selector | nindent 6 }}
  policyTypes: ["Ingress", "Egress"]
  ingress:
    - ports:
        - port: http
          protocol: TCP
  egress:
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
        - port: 443
          protocol: TCP
        - port: 5432
          protocol: TCP
        {{- with $root.Values.s3.endpointUrl }}
        {{- $port := (urlParse .).host | splitList ":" | last }}
        {{- if regexMatch "^[0-9]+$" $port }}
        - port: {{ $port }}
          protocol: TCP
        {{- end }}
        {{- end }}
{{- end }}
{{- end -}}

{{- define "reference.containerSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
