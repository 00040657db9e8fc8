{{/* Prefix of every resource name. */}}
{{- define "symphony.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end }}

{{/*
What the chart knows about each service: its gRPC port, whether it owns a Postgres schema or uses
NATS, whom it calls (and so which *_ADDR it needs) and who calls it (for the NetworkPolicies).
*/}}
{{- define "symphony.catalog" -}}
gateway: {grpcPort: 9100, db: false, nats: false, calls: [pod, keymanager, agent, objectstore], callers: []}
pod: {grpcPort: 9101, db: true, nats: true, calls: [], callers: [gateway, agent, keymanager, objectstore]}
keymanager: {grpcPort: 9102, db: true, nats: true, calls: [pod], callers: [agent, gateway, objectstore]}
agent: {grpcPort: 9103, db: false, nats: true, calls: [pod, keymanager], callers: [gateway]}
objectstore: {grpcPort: 9104, db: true, nats: true, calls: [pod, keymanager], callers: [gateway]}
{{- end }}

{{- define "symphony.selectorLabels" -}}
app.kubernetes.io/name: symphony-mesh
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "symphony.labels" -}}
{{ include "symphony.selectorLabels" . }}
app.kubernetes.io/part-of: symphony-mesh
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}

{{- define "symphony.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end }}

{{- define "symphony.serviceAccountName" -}}
{{- default (include "symphony.fullname" .) .Values.serviceAccount.name -}}
{{- end }}

{{- define "symphony.natsUrl" -}}
{{- if .Values.dev.nats.enabled -}}
{{- printf "nats://%s-nats:4222" (include "symphony.fullname" .) -}}
{{- else -}}
{{- .Values.nats.url -}}
{{- end -}}
{{- end }}

{{/*
*_ADDR of every service an enabled service calls: the release's own Service, or remote.<name>Addr
when that service is disabled here. A missing remote address fails the rendering.
*/}}
{{- define "symphony.addresses" -}}
{{- $root := . -}}
{{- $catalog := include "symphony.catalog" . | fromYaml -}}
{{- range $callee, $envName := dict "pod" "POD_ADDR" "keymanager" "KM_ADDR" "agent" "AGENT_ADDR" "objectstore" "OBJECTSTORE_ADDR" }}
{{- $callers := list -}}
{{- range $caller, $spec := $catalog }}
{{- if and (get $root.Values.components $caller) (has $callee $spec.calls) }}
{{- $callers = append $callers $caller -}}
{{- end }}
{{- end }}
{{- if $callers }}
{{- if get $root.Values.components $callee }}
{{ $envName }}: {{ printf "%s-%s:%v" (include "symphony.fullname" $root) $callee (get $catalog $callee).grpcPort | quote }}
{{- else }}
{{- $remote := get $root.Values.remote (printf "%sAddr" $callee) }}
{{- if not $remote }}
{{- fail (printf "remote.%sAddr is required: components.%s is false and %s call(s) it" $callee $callee (join ", " $callers)) }}
{{- end }}
{{ $envName }}: {{ $remote | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The non-secret environment shared by every service: the ConfigMap's data (and the hook Jobs' env). */}}
{{- define "symphony.config" -}}
{{- $c := .Values.config -}}
{{- /* YAML numbers arrive as floats: int64 keeps 1800000 from printing as 1.8e+06. */ -}}
{{- if ge (add $c.shutdownDelayMs $c.shutdownGraceMs) (mul .Values.terminationGracePeriodSeconds 1000) }}
{{- fail "config.shutdownDelayMs + config.shutdownGraceMs must be shorter than terminationGracePeriodSeconds, or pods are killed mid-drain" }}
{{- end }}
NATS_URL: {{ include "symphony.natsUrl" . | quote }}
SUBJECT_PREFIX: {{ $c.subjectPrefix | quote }}
EVENTS_STREAM: {{ $c.eventsStream | quote }}
REVOCATIONS_BUCKET: {{ $c.revocationsBucket | quote }}
SESSION_TTL_SECONDS: {{ $c.sessionTtlSeconds | int64 | quote }}
KM_TOKEN_TTL_SECONDS: {{ $c.keyManagerTokenTtlSeconds | int64 | quote }}
KEY_CACHE_TTL_MS: {{ $c.keyCacheTtlMs | int64 | quote }}
MAX_DATAFEEDS_PER_USER: {{ $c.maxDatafeedsPerUser | int64 | quote }}
DATAFEED_POLL_MS: {{ $c.datafeedPollMs | int64 | quote }}
DATAFEED_TTL_MS: {{ $c.datafeedTtlMs | int64 | quote }}
OBJECTSTORE_ENABLED: {{ $c.objectstoreEnabled | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
METRICS_PORT: {{ .Values.metrics.port | int | quote }}
{{- /* Loopback is the services' default; in a pod, peers, the kubelet and Prometheus must reach them. */}}
METRICS_HOST: "0.0.0.0"
GRPC_HOST: "0.0.0.0"
MESH_TRUST_DOMAIN: {{ .Values.meshTls.trustDomain | quote }}
SHUTDOWN_DELAY_MS: {{ $c.shutdownDelayMs | int64 | quote }}
SHUTDOWN_GRACE_MS: {{ $c.shutdownGraceMs | int64 | quote }}
{{- with $c.otlpEndpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
{{- include "symphony.addresses" . }}
{{- range $name, $value := $c.extraEnv }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{/*
Files a service reads from Secrets: env variable, volume, directory, Secret and key. A migration Job
mounts its service's mesh certificate as optional: it validates MESH_TLS_* like the service but makes
no gRPC call, and as a pre-install hook it runs before cert-manager can have issued anything.
*/}}
{{- define "symphony.secretFiles" -}}
{{- $s := .root.Values.secrets -}}
{{- $mesh := get .root.Values.meshTls.secrets .component }}
{{- range $env, $key := dict "MESH_TLS_CA_FILE" "ca.crt" "MESH_TLS_CERT_FILE" "tls.crt" "MESH_TLS_KEY_FILE" "tls.key" }}
- {env: {{ $env }}, volume: mesh-tls, dir: /etc/symphony/mesh-tls, secret: {{ $mesh | quote }}, key: {{ $key }}, optional: {{ $.migrate }}}
{{- end }}
{{- if eq .component "pod" }}
- {env: TOKEN_SIGNING_KEY_FILE, volume: token-signing, dir: /etc/symphony/token-signing, secret: {{ $s.podTokenSigningKey.name | quote }}, key: {{ $s.podTokenSigningKey.key | quote }}}
{{- $dev := .root.Values.dev.secrets }}
{{- if and $s.adminPublicKey.name (or (not $dev.generate) $dev.adminPublicKey) }}
- {env: ADMIN_PUBLIC_KEY_FILE, volume: admin-public-key, dir: /etc/symphony/admin, secret: {{ $s.adminPublicKey.name | quote }}, key: {{ $s.adminPublicKey.key | quote }}}
{{- end }}
{{- else if eq .component "keymanager" }}
- {env: TOKEN_SIGNING_KEY_FILE, volume: token-signing, dir: /etc/symphony/token-signing, secret: {{ $s.keymanagerTokenSigningKey.name | quote }}, key: {{ $s.keymanagerTokenSigningKey.key | quote }}}
- {env: KM_MASTER_KEY_FILE, volume: master-keys, dir: /etc/symphony/master-keys, secret: {{ $s.masterKeys.name | quote }}, key: {{ $s.masterKeys.key | quote }}}
{{- else if and (eq .component "gateway") $s.gatewayTls.name }}
- {env: TLS_CERT_FILE, volume: tls, dir: /etc/symphony/tls, secret: {{ $s.gatewayTls.name | quote }}, key: tls.crt}
- {env: TLS_KEY_FILE, volume: tls, dir: /etc/symphony/tls, secret: {{ $s.gatewayTls.name | quote }}, key: tls.key}
{{- if $s.gatewayClientCa.name }}
- {env: CLIENT_CA_FILE, volume: client-ca, dir: /etc/symphony/client-ca, secret: {{ $s.gatewayClientCa.name | quote }}, key: {{ $s.gatewayClientCa.key | quote }}}
{{- end }}
{{- end }}
{{- /* Each service mounts only its own seed from the credentials Secret. */}}
{{- if and $s.natsCredentials.name (has .component (list "pod" "keymanager" "agent" "objectstore")) }}
- {env: NATS_NKEY_SEED_FILE, volume: nats-credentials, dir: /etc/symphony/nats, secret: {{ $s.natsCredentials.name | quote }}, key: {{ printf "%s.nk" .component | quote }}}
{{- end }}
{{- end }}

{{/*
The pod spec of a service, for its Deployment or (migrate=true) its migration hook Job. A hook runs
before the release's ConfigMap and ServiceAccount exist, so the Job gets the config inline.
*/}}
{{- define "symphony.podSpec" -}}
{{- $root := .root -}}
{{- $name := .component -}}
{{- $migrate := .migrate -}}
{{- $values := get $root.Values $name -}}
{{- $spec := get (include "symphony.catalog" $root | fromYaml) $name -}}
{{- $files := include "symphony.secretFiles" . | fromYamlArray -}}
{{- $tls := and (eq $name "gateway") $root.Values.secrets.gatewayTls.name -}}
{{- if $migrate }}
restartPolicy: Never
{{- else }}
serviceAccountName: {{ include "symphony.serviceAccountName" $root }}
# SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS (checked when rendering) fit in it.
terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
{{- end }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with $root.Values.scheduling.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $root.Values.scheduling.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.scheduling.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.scheduling.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if and (not $migrate) $root.Values.scheduling.spreadAcrossNodes }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "symphony.selectorLabels" (dict "root" $root "component" $name) | nindent 8 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
  seccompProfile:
    type: RuntimeDefault
containers:
  - name: {{ ternary (printf "migrate-%s" $name) $name $migrate }}
    image: {{ include "symphony.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args: [{{ $name }}]
    {{- if not $migrate }}
    envFrom:
      - configMapRef:
          name: {{ include "symphony.fullname" $root }}
    {{- end }}
    env:
      {{- if $migrate }}
      {{- range $k, $v := include "symphony.config" $root | fromYaml }}
      - name: {{ $k }}
        value: {{ $v | quote }}
      {{- end }}
      {{- end }}
      - name: GRPC_PORT
        value: {{ $spec.grpcPort | int | quote }}
      - name: OTEL_SERVICE_NAME
        value: {{ ternary (printf "%s-migrate" $name) $name $migrate }}
      {{- if eq $name "gateway" }}
      - name: HTTP_PORT
        value: "8080"
      {{- if $tls }}
      - name: HTTPS_PORT
        value: "8443"
      {{- end }}
      {{- end }}
      {{- if $spec.db }}
      - name: DB_MIGRATE
        value: {{ ternary "only" (ternary "skip" "auto" (eq $root.Values.migrations.mode "job")) $migrate }}
      - name: DATABASE_URL
        valueFrom:
          secretKeyRef:
            name: {{ $root.Values.database.urlSecret.name }}
            key: {{ $root.Values.database.urlSecret.key }}
      {{- end }}
      {{- range $files }}
      - name: {{ .env }}
        value: {{ printf "%s/%s" .dir .key }}
      {{- end }}
      {{- range $k, $v := $values.env }}
      - name: {{ $k }}
        value: {{ $v | quote }}
      {{- end }}
    {{- if not $migrate }}
    ports:
      - name: grpc
        containerPort: {{ $spec.grpcPort }}
      {{- if eq $name "gateway" }}
      - name: http
        containerPort: 8080
      {{- if $tls }}
      - name: https
        containerPort: 8443
      {{- end }}
      {{- end }}
      - name: metrics
        containerPort: {{ $root.Values.metrics.port }}
    # Kubernetes' gRPC probes cannot present a client certificate: the services answer plain HTTP
    # on the metrics port, /readyz as their grpc.health.v1 status (NOT_SERVING while draining) and
    # /healthz while the process runs.
    startupProbe:
      httpGet:
        path: /readyz
        port: metrics
      periodSeconds: 2
      failureThreshold: 60
    readinessProbe:
      httpGet:
        path: /readyz
        port: metrics
      periodSeconds: 5
      timeoutSeconds: 2
      failureThreshold: 2
    livenessProbe:
      httpGet:
        path: /healthz
        port: metrics
      periodSeconds: 10
      timeoutSeconds: 2
      # /healthz answers while the process runs, draining included; only a hung process fails it for 60 s.
      failureThreshold: 6
    resources:
      {{- toYaml $values.resources | nindent 6 }}
    {{- else }}
    resources:
      {{- toYaml $root.Values.migrations.resources | nindent 6 }}
    {{- end }}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: [ALL]
    # Secrets are mounted as directories, never with subPath, so that updates (a new master key
    # version) reach running pods.
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      {{- $mounted := dict }}
      {{- range $files }}
      {{- if not (hasKey $mounted .volume) }}
      {{- $_ := set $mounted .volume true }}
      - name: {{ .volume }}
        mountPath: {{ .dir }}
        readOnly: true
      {{- end }}
      {{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 256Mi
  {{- $volumes := dict }}
  {{- range $files }}
  {{- $v := get $volumes .volume | default (dict "secret" .secret "optional" (default false .optional) "items" list) }}
  {{- $_ := set $v "items" (append $v.items (dict "key" .key "path" .key)) }}
  {{- $_ := set $volumes .volume $v }}
  {{- end }}
  {{- range $volume, $v := $volumes }}
  - name: {{ $volume }}
    secret:
      secretName: {{ $v.secret }}
      defaultMode: 0440
      {{- if $v.optional }}
      optional: true
      {{- end }}
      items:
        {{- toYaml $v.items | nindent 8 }}
  {{- end }}
{{- end }}
