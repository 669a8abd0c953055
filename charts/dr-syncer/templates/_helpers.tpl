{{/*
Chart name, overridable with nameOverride.
*/}}
{{- define "dr-syncer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, at most 63 characters (a DNS label). When the release name already
contains the chart name it is used as is.
*/}}
{{- define "dr-syncer.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name prefix of the cluster-scoped objects (ClusterRoles and their bindings): the release namespace
and the full name, so that releases of the same name in different namespaces install side by side.
A colon separates them, as in Kubernetes' own system:... names: it is in neither a namespace nor a
release name, so no two releases get the same prefix (with a dash, release dr-syncer in namespace
a-b and release b-dr-syncer in namespace a would both be a-b-dr-syncer).
*/}}
{{- define "dr-syncer.clusterScopedName" -}}
{{- printf "%s:%s" .Release.Namespace (include "dr-syncer.fullname" .) }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "dr-syncer.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object of the release, without a component.
*/}}
{{- define "dr-syncer.commonLabels" -}}
helm.sh/chart: {{ include "dr-syncer.chart" . }}
app.kubernetes.io/name: {{ include "dr-syncer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dr-syncer
{{- end }}

{{/*
Labels of the controller's objects.
*/}}
{{- define "dr-syncer.labels" -}}
{{ include "dr-syncer.commonLabels" . }}
app.kubernetes.io/component: controller
{{- end }}

{{/*
Labels that select the controller pods. They never change across upgrades.
*/}}
{{- define "dr-syncer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dr-syncer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/*
Name of the ServiceAccount the controller runs as.
*/}}
{{- define "dr-syncer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dr-syncer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: repository@digest when a digest is set, else repository:tag (tag defaults to the
chart's appVersion).
*/}}
{{- define "dr-syncer.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}
