{{/* Names, labels and shared pieces of the Provisio chart. */}}

{{- define "provisio.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "provisio.fullname" -}}
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

{{- define "provisio.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; call with (dict "ctx" $ "component" "api"). */}}
{{- define "provisio.labels" -}}
helm.sh/chart: {{ include "provisio.chart" .ctx }}
{{ include "provisio.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: provisio
{{- end -}}

{{- define "provisio.selectorLabels" -}}
app.kubernetes.io/name: {{ include "provisio.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{- define "provisio.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "provisio.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "provisio.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding DATABASE_URL, ADMIN_PASSWORD and SECRET_KEY. */}}
{{- define "provisio.secretName" -}}
{{- default (include "provisio.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The chart's own secret data; fails the render with a clear message when a value is missing. */}}
{{- define "provisio.secretData" -}}
DATABASE_URL: {{ required "secrets.databaseUrl is required (or set secrets.existingSecret)" .Values.secrets.databaseUrl | quote }}
ADMIN_PASSWORD: {{ required "secrets.adminPassword is required (or set secrets.existingSecret)" .Values.secrets.adminPassword | quote }}
{{- $key := required "secrets.secretKey is required (or set secrets.existingSecret)" .Values.secrets.secretKey }}
{{- if lt (len $key) 16 }}
{{- fail "secrets.secretKey must be at least 16 characters" }}
{{- end }}
SECRET_KEY: {{ $key | quote }}
{{- end -}}

{{- define "provisio.simcloudUrl" -}}
{{- if .Values.config.simcloudUrl -}}
{{- .Values.config.simcloudUrl -}}
{{- else if .Values.simcloud.enabled -}}
{{- printf "http://%s-simcloud:%v" (include "provisio.fullname" .) .Values.simcloud.port -}}
{{- else -}}
{{- fail "config.simcloudUrl is required when simcloud.enabled is false" -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the API, the workers and the migration job (lib/config.ts names). */}}
{{- define "provisio.configData" -}}
PROVISIO_ENV: production
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
HOST: "0.0.0.0"
TEMPORAL_ADDRESS: {{ required "temporal.address is required" .Values.temporal.address | quote }}
TEMPORAL_NAMESPACE: {{ .Values.temporal.namespace | quote }}
TEMPORAL_TASK_QUEUE: {{ .Values.temporal.taskQueue | quote }}
TEMPORAL_UI_URL: {{ .Values.temporal.uiUrl | quote }}
SIMCLOUD_URL: {{ include "provisio.simcloudUrl" . | quote }}
SYNC_WAIT_MS: {{ .Values.config.syncWaitMs | quote }}
TRUST_PROXY: {{ .Values.config.trustProxy | quote }}
SHUTDOWN_GRACE_MS: {{ mul .Values.shutdownGraceSeconds 1000 | quote }}
{{- with .Values.config.publicUrl }}
PUBLIC_URL: {{ . | quote }}
{{- end }}
{{- range $name, $value := .Values.config.extraEnv }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Pod-level pieces every Provisio pod shares. */}}
{{- define "provisio.podCommon" -}}
serviceAccountName: {{ include "provisio.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* /tmp is the only writable path (tsx's compile cache); the root filesystem is read-only. */}}
{{- define "provisio.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{- define "provisio.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "provisio.configChecksums" -}}
checksum/config: {{ include "provisio.configData" . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include "provisio.secretData" . | sha256sum }}
{{- end }}
{{- end -}}
