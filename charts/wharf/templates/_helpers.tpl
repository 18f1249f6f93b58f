{{/* Names. */}}
{{- define "wharf.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "wharf.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "wharf.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "wharf.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "registry"). */}}
{{- define "wharf.selector" -}}
app.kubernetes.io/name: {{ include "wharf.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "wharf.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "wharf.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "wharf.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The address clients reach: publicUrl, or the ingress host. */}}
{{- define "wharf.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl | trimSuffix "/" -}}
{{- else -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) (required "ingress.host or publicUrl is required: it is the address clients reach Wharf at" .Values.ingress.host) -}}
{{- end -}}
{{- end -}}

{{- define "wharf.registryHost" -}}
{{- include "wharf.publicUrl" . | trimPrefix "https://" | trimPrefix "http://" -}}
{{- end -}}

{{/* The services in start order; the HTTP ones get a Service and an Ingress path. */}}
{{- define "wharf.serviceNames" -}}registry auth org builder gc events{{- end -}}
{{- define "wharf.httpServiceNames" -}}registry auth org{{- end -}}

{{/* Secrets: names and keys of what the services read. */}}
{{- define "wharf.generatedSecret" -}}{{ include "wharf.fullname" . }}-generated{{- end -}}
{{- define "wharf.connectionSecret" -}}{{ include "wharf.fullname" . }}-connections{{- end -}}

{{- define "wharf.secretKeyRef" -}}
name: {{ default (include "wharf.generatedSecret" .) .Values.secretKey.existingSecret }}
key: secret-key
{{- end -}}

{{- define "wharf.adminPasswordRef" -}}
name: {{ default (include "wharf.generatedSecret" .) .Values.admin.existingSecret }}
key: password
{{- end -}}

{{- define "wharf.databaseUrlRef" -}}
{{- if and (not .Values.bundled.enabled) .Values.postgresql.external.existingSecret -}}
name: {{ .Values.postgresql.external.existingSecret }}
{{- else -}}
name: {{ include "wharf.connectionSecret" . }}
{{- end }}
key: database-url
{{- end -}}

{{- define "wharf.redisUrlRef" -}}
{{- if and (not .Values.bundled.enabled) .Values.redis.external.existingSecret -}}
name: {{ .Values.redis.external.existingSecret }}
{{- else -}}
name: {{ include "wharf.connectionSecret" . }}
{{- end }}
key: redis-url
{{- end -}}

{{- define "wharf.s3Secret" -}}
{{- if .Values.bundled.enabled -}}{{ include "wharf.fullname" . }}-s3{{- else -}}{{ .Values.s3.existingSecret }}{{- end -}}
{{- end -}}

{{/* Refuses value combinations the schema cannot express, naming the value to set. */}}
{{- define "wharf.validate" -}}
{{- if not .Values.bundled.enabled -}}
{{- if not (or .Values.postgresql.external.url .Values.postgresql.external.existingSecret) -}}
{{- fail "postgresql.external.url or postgresql.external.existingSecret is required (or bundled.enabled=true for evaluation)" -}}
{{- end -}}
{{- if not (or .Values.redis.external.url .Values.redis.external.existingSecret) -}}
{{- fail "redis.external.url or redis.external.existingSecret is required (or bundled.enabled=true for evaluation)" -}}
{{- end -}}
{{- if not .Values.s3.bucket -}}
{{- fail "s3.bucket is required: blobs are stored in an S3-compatible bucket (or bundled.enabled=true for evaluation)" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.ingress.tls.enabled (not .Values.ingress.tls.secretName) -}}
{{- fail "ingress.tls.secretName is required with ingress.tls.enabled (cert-manager writes it when ingress.tls.certManager.issuer is set)" -}}
{{- end -}}
{{- end -}}
