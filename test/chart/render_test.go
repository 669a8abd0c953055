package chart

import (
	"maps"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
)

// everythingEnabled turns on every optional part of the chart and sets every value away from its
// default.
const everythingEnabled = `
replicaCount: 3
fullnameOverride: drs-all
image:
  repository: registry.example.com/dr/dr-syncer
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  pullPolicy: Always
imagePullSecrets: [{name: registry-credentials}]
logLevel: debug
logFormat: text
workers: 8
extraArgs: ["--allow-insecure-tls"]
extraEnv: [{name: HTTPS_PROXY, value: "http://proxy.example.com:3128"}]
resources: {requests: {cpu: 200m, memory: 256Mi}, limits: {memory: 1Gi}}
nodeSelector: {kubernetes.io/os: linux, node-role.example.com/infra: "true"}
tolerations: [{key: infra, operator: Exists, effect: NoSchedule}]
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector: {matchLabels: {app.kubernetes.io/name: dr-syncer}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector: {matchLabels: {app.kubernetes.io/name: dr-syncer}}
podAnnotations: {example.com/team: platform}
podLabels: {example.com/tier: infra}
priorityClassName: dr-critical
podDisruptionBudget: {enabled: true, minAvailable: "50%"}
crds: {enabled: true, keep: false}
serviceAccount: {create: true, name: drs-controller, annotations: {example.com/role: dr}}
rbac:
  create: true
  sourceReadRules:
    - apiGroups: ["", "apps"]
      resources: ["configmaps", "services", "deployments"]
      verbs: ["get", "list", "watch"]
metrics:
  serviceMonitor: {enabled: true, interval: 15s, scrapeTimeout: 10s, labels: {release: prometheus}}
prometheusRule: {enabled: true, rpoFactor: 2.5, labels: {release: prometheus}}
grafana:
  dashboard: {enabled: true, labels: {grafana_dashboard: "1", example.com/team: platform}, annotations: {grafana_folder: DR}}
`

func TestDefaultsRenderARestrictedLeaderElectedController(t *testing.T) {
	r := mustRender(t, "drs", "dr-syncer-system", nil)
	checkBuiltinFields(t, r)

	if hooks := r.Release.Hooks; len(hooks) != 0 {
		t.Errorf("the chart has %d hooks; want none", len(hooks))
	}
	wantCounts := map[string]int{
		"CustomResourceDefinition": 3, "ServiceAccount": 1, "ClusterRole": 2, "ClusterRoleBinding": 2,
		"Role": 1, "RoleBinding": 1, "Deployment": 1, "Service": 1, "PodDisruptionBudget": 1,
		"ServiceMonitor": 0, "PrometheusRule": 0, "ConfigMap": 0,
	}
	for kind, want := range wantCounts {
		if got := r.count(kind); got != want {
			t.Errorf("%d %s objects rendered, want %d", got, kind, want)
		}
	}

	d := r.deployment(t)
	if got := ptr.Deref(d.Spec.Replicas, 0); got != 2 {
		t.Errorf("replicas = %d, want 2", got)
	}
	if d.Namespace != "dr-syncer-system" {
		t.Errorf("Deployment namespace = %q", d.Namespace)
	}
	pod := d.Spec.Template.Spec
	if pod.ServiceAccountName != "drs-dr-syncer" {
		t.Errorf("serviceAccountName = %q, want drs-dr-syncer", pod.ServiceAccountName)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != "ghcr.io/dr-syncer/dr-syncer:"+r.Release.Chart.Metadata.AppVersion {
		t.Errorf("image = %q, want the appVersion tag", c.Image)
	}
	wantArgs := []string{
		"controller", "--namespace=$(POD_NAMESPACE)", "--metrics-bind-address=:8080",
		"--health-probe-bind-address=:8081", "--leader-elect", "--log-level=info", "--log-format=json", "--workers=16",
	}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("args = %q\nwant   %q", c.Args, wantArgs)
	}
	if len(c.Env) != 1 || c.Env[0].Name != "POD_NAMESPACE" || c.Env[0].ValueFrom == nil ||
		c.Env[0].ValueFrom.FieldRef == nil || c.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("env = %+v, want POD_NAMESPACE from metadata.namespace", c.Env)
	}

	// Restricted security context, pod and container.
	psc := pod.SecurityContext
	if psc == nil || !ptr.Deref(psc.RunAsNonRoot, false) || ptr.Deref(psc.RunAsUser, 0) != 65532 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext = %+v, want runAsNonRoot, runAsUser 65532, seccomp RuntimeDefault", psc)
	}
	csc := c.SecurityContext
	if csc == nil || ptr.Deref(csc.AllowPrivilegeEscalation, true) || !ptr.Deref(csc.ReadOnlyRootFilesystem, false) ||
		csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(csc.Capabilities.Add) != 0 {
		t.Errorf("container securityContext = %+v, want no privilege escalation, read-only root, all capabilities dropped", csc)
	}

	// Ports and probes.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["metrics"] != 8080 || ports["probes"] != 8081 || len(ports) != 2 {
		t.Errorf("ports = %v, want metrics 8080 and probes 8081", ports)
	}
	for name, probe := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != name || probe.HTTPGet.Port.String() != "probes" {
			t.Errorf("probe for %s = %+v, want an HTTP GET of %s on port probes", name, probe, name)
		}
	}
	if c.Resources.Requests.Cpu().String() != "100m" || c.Resources.Requests.Memory().String() != "128Mi" ||
		c.Resources.Limits.Memory().String() != "512Mi" {
		t.Errorf("resources = %+v", c.Resources)
	}

	// The metrics Service reaches the pods' metrics port.
	svc := r.find(t, "Service", "-metrics")
	if svc == nil {
		t.Fatal("no metrics Service")
	}
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	for k, v := range sel {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("Service selector %s=%s does not match the pod labels %v", k, v, d.Spec.Template.Labels)
		}
	}
	svcPorts, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if len(svcPorts) != 1 || svcPorts[0].(map[string]any)["targetPort"] != "metrics" {
		t.Errorf("Service ports = %v, want one port targeting metrics", svcPorts)
	}

	// The standard labels are on every object.
	for _, o := range r.Objects {
		l := o.GetLabels()
		if l["app.kubernetes.io/name"] != "dr-syncer" || l["app.kubernetes.io/instance"] != "drs" ||
			l["app.kubernetes.io/managed-by"] != "Helm" || l["helm.sh/chart"] != "dr-syncer-0.1.0" || l["app.kubernetes.io/version"] != r.Release.Chart.Metadata.AppVersion {
			t.Errorf("%s %s labels = %v", o.GetKind(), o.GetName(), l)
		}
	}
	// CRDs are kept on uninstall by default.
	for _, o := range r.Objects {
		if o.GetKind() == "CustomResourceDefinition" && o.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("CRD %s has no helm.sh/resource-policy: keep", o.GetName())
		}
	}

	notes := r.Release.Info.Notes
	for _, want := range []string{"namespace dr-syncer-system", "deploy/drs-dr-syncer", "rbac.sourceReadRules"} {
		if !strings.Contains(notes, want) {
			t.Errorf("NOTES.txt does not mention %q:\n%s", want, notes)
		}
	}
}

func TestLeaderElectFlagFollowsValue(t *testing.T) {
	for _, tc := range []struct {
		name       string
		values     string
		wantFlag   bool
		wantLeases bool
	}{
		{name: "default", values: ``, wantFlag: true, wantLeases: true},
		{name: "disabled with one replica", values: `{replicaCount: 1, leaderElection: {enabled: false}}`},
		{name: "enabled with one replica", values: `{replicaCount: 1, leaderElection: {enabled: true}}`, wantFlag: true, wantLeases: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRender(t, "drs", "dr-syncer-system", values(t, tc.values))
			args := r.deployment(t).Spec.Template.Spec.Containers[0].Args
			if got := slices.Contains(args, "--leader-elect"); got != tc.wantFlag {
				t.Errorf("--leader-elect in args = %v, want %v (args %q)", got, tc.wantFlag, args)
			}
			role := r.find(t, "Role", "-controller")
			rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
			gotLeases := false
			for _, rule := range rules {
				res, _, _ := unstructured.NestedStringSlice(rule.(map[string]any), "resources")
				gotLeases = gotLeases || slices.Contains(res, "leases")
			}
			if gotLeases != tc.wantLeases {
				t.Errorf("Role grants leases = %v, want %v", gotLeases, tc.wantLeases)
			}
		})
	}
}

func TestSeveralReplicasWithoutLeaderElectionAreRefused(t *testing.T) {
	_, err := renderChart("drs", "dr-syncer-system", values(t, `{replicaCount: 2, leaderElection: {enabled: false}}`))
	if err == nil || !strings.Contains(err.Error(), "needs leaderElection.enabled") {
		t.Fatalf("err = %v, want a refusal that names leaderElection.enabled", err)
	}
}

func TestPodDisruptionBudgetOnlyWithSeveralReplicas(t *testing.T) {
	for _, tc := range []struct {
		values  string
		wantPDB bool
	}{
		{values: ``, wantPDB: true},
		{values: `{replicaCount: 1, leaderElection: {enabled: false}}`},
		{values: `{replicaCount: 1}`},
		{values: `{replicaCount: 3}`, wantPDB: true},
		{values: `{replicaCount: 3, podDisruptionBudget: {enabled: false}}`},
	} {
		t.Run(tc.values, func(t *testing.T) {
			r := mustRender(t, "drs", "dr-syncer-system", values(t, tc.values))
			pdb := r.find(t, "PodDisruptionBudget", "")
			if (pdb != nil) != tc.wantPDB {
				t.Fatalf("PodDisruptionBudget rendered = %v, want %v", pdb != nil, tc.wantPDB)
			}
			if pdb == nil {
				return
			}
			if got, _, _ := unstructured.NestedFieldNoCopy(pdb.Object, "spec", "minAvailable"); got != int64(1) {
				t.Errorf("minAvailable = %v, want 1", got)
			}
			sel, _, _ := unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
			if want := r.deployment(t).Spec.Selector.MatchLabels; !maps.Equal(sel, want) {
				t.Errorf("PDB selector %v, Deployment selector %v", sel, want)
			}
		})
	}
}

func TestEverythingEnabledRendersEveryOptionalPart(t *testing.T) {
	r := mustRender(t, "drs", "dr-syncer-system", values(t, everythingEnabled))
	checkBuiltinFields(t, r)

	d := r.deployment(t)
	if d.Name != "drs-all" {
		t.Errorf("Deployment name %q, want the fullnameOverride", d.Name)
	}
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	if want := "registry.example.com/dr/dr-syncer@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"; c.Image != want {
		t.Errorf("image = %q, want %q", c.Image, want)
	}
	for _, want := range []string{"--log-level=debug", "--log-format=text", "--workers=8", "--allow-insecure-tls", "--leader-elect"} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args %q lack %s", c.Args, want)
		}
	}
	if len(c.Env) != 2 || c.Env[1].Name != "HTTPS_PROXY" {
		t.Errorf("env = %+v, want POD_NAMESPACE then HTTPS_PROXY", c.Env)
	}
	if pod.ServiceAccountName != "drs-controller" || pod.PriorityClassName != "dr-critical" ||
		len(pod.ImagePullSecrets) != 1 || len(pod.Tolerations) != 1 || pod.Affinity == nil ||
		len(pod.TopologySpreadConstraints) != 1 || pod.NodeSelector["node-role.example.com/infra"] != "true" {
		t.Errorf("pod spec does not carry the scheduling values: %+v", pod)
	}
	if d.Spec.Template.Annotations["example.com/team"] != "platform" || d.Spec.Template.Labels["example.com/tier"] != "infra" {
		t.Errorf("pod metadata = %+v", d.Spec.Template.ObjectMeta)
	}

	sm := r.find(t, "ServiceMonitor", "")
	if sm == nil {
		t.Fatal("no ServiceMonitor")
	}
	if sm.GetLabels()["release"] != "prometheus" {
		t.Errorf("ServiceMonitor labels = %v", sm.GetLabels())
	}
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints = %v", endpoints)
	}
	ep := endpoints[0].(map[string]any)
	if ep["port"] != "metrics" || ep["interval"] != "15s" || ep["scrapeTimeout"] != "10s" {
		t.Errorf("ServiceMonitor endpoint = %v", ep)
	}
	smSel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	svc := r.find(t, "Service", "-metrics")
	for k, v := range smSel {
		if svc.GetLabels()[k] != v {
			t.Errorf("ServiceMonitor selects %s=%s, the metrics Service has %v", k, v, svc.GetLabels())
		}
	}

	pdb := r.find(t, "PodDisruptionBudget", "")
	if got, _, _ := unstructured.NestedFieldNoCopy(pdb.Object, "spec", "minAvailable"); got != "50%" {
		t.Errorf("PDB minAvailable = %v, want 50%%", got)
	}
	reader := r.find(t, "ClusterRole", "-source-reader")
	rules, _, _ := unstructured.NestedSlice(reader.Object, "rules")
	if len(rules) != 1 {
		t.Errorf("source-reader rules = %v, want the one from values", rules)
	}
	for _, o := range r.Objects {
		if o.GetKind() == "CustomResourceDefinition" {
			if _, kept := o.GetAnnotations()["helm.sh/resource-policy"]; kept {
				t.Errorf("CRD %s keeps helm.sh/resource-policy with crds.keep=false", o.GetName())
			}
		}
	}
	if sa := r.find(t, "ServiceAccount", ""); sa.GetName() != "drs-controller" || sa.GetAnnotations()["example.com/role"] != "dr" {
		t.Errorf("ServiceAccount = %s %v", sa.GetName(), sa.GetAnnotations())
	}
}

func TestOptionalPartsCanBeTurnedOff(t *testing.T) {
	r := mustRender(t, "drs", "dr-syncer-system", values(t, `
crds: {enabled: false}
rbac: {create: false}
serviceAccount: {create: false, name: existing-sa}
`))
	for _, kind := range []string{"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"} {
		if n := r.count(kind); n != 0 {
			t.Errorf("%d %s objects rendered, want none", n, kind)
		}
	}
	if sa := r.deployment(t).Spec.Template.Spec.ServiceAccountName; sa != "existing-sa" {
		t.Errorf("serviceAccountName = %q, want existing-sa", sa)
	}
	if !strings.Contains(r.Release.Info.Notes, "CRDs were not installed") {
		t.Errorf("NOTES.txt does not warn about the missing CRDs:\n%s", r.Release.Info.Notes)
	}

	// With no source-read rules there is no source-reader ClusterRole.
	r = mustRender(t, "drs", "dr-syncer-system", values(t, `rbac: {sourceReadRules: []}`))
	if cr := r.find(t, "ClusterRole", "-source-reader"); cr != nil {
		t.Errorf("source-reader ClusterRole rendered with empty sourceReadRules")
	}

	// A ServiceAccount that is not created must be named.
	if _, err := renderChart("drs", "dr-syncer-system", values(t, `serviceAccount: {create: false}`)); err == nil ||
		!strings.Contains(err.Error(), "serviceAccount.name is required") {
		t.Errorf("err = %v, want serviceAccount.name is required", err)
	}
}

func TestPrometheusRuleAlerts(t *testing.T) {
	r := mustRender(t, "drs", "dr-syncer-system", values(t, `prometheusRule: {enabled: true, rpoFactor: 4}`))
	pr := r.find(t, "PrometheusRule", "")
	if pr == nil {
		t.Fatal("no PrometheusRule")
	}
	groups, _, _ := unstructured.NestedSlice(pr.Object, "spec", "groups")
	alerts := map[string]map[string]any{}
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, rule := range rules {
			m := rule.(map[string]any)
			alerts[m["alert"].(string)] = m
		}
	}
	for _, tc := range []struct {
		alert, exprHas, forDuration string
	}{
		{"DrSyncerMappingNotReady", "drsyncer_namespacemapping_ready == 0", "15m"},
		{"DrSyncerRPOBreached", "(time() - drsyncer_namespacemapping_last_success_timestamp_seconds)\n  > 4 * drsyncer_namespacemapping_schedule_interval_seconds", "5m"},
		{"DrSyncerRemoteClusterDown", "drsyncer_remotecluster_ready == 0", "5m"},
		{"DrSyncerPruneBlocked", "drsyncer_prune_blocked == 1", ""},
	} {
		a, ok := alerts[tc.alert]
		if !ok {
			t.Errorf("no alert %s", tc.alert)
			continue
		}
		if expr, _ := a["expr"].(string); !strings.Contains(expr, tc.exprHas) {
			t.Errorf("%s expr = %q, want it to contain %q", tc.alert, expr, tc.exprHas)
		}
		if got, _ := a["for"].(string); got != tc.forDuration {
			t.Errorf("%s for = %q, want %q", tc.alert, got, tc.forDuration)
		}
		summary, _, _ := unstructured.NestedString(a, "annotations", "summary")
		if !strings.Contains(summary, "{{ $labels.") {
			t.Errorf("%s summary %q does not name the mapping or cluster", tc.alert, summary)
		}
	}
	if len(alerts) != 4 {
		t.Errorf("%d alerts, want 4 (the drill alert only with drillMaxAgeDays)", len(alerts))
	}
}

// TestPrometheusRuleDrillAlert: drillMaxAgeDays adds the drill alert, on the last successful
// drill, counting mappings never drilled and leaving live ones out.
func TestPrometheusRuleDrillAlert(t *testing.T) {
	r := mustRender(t, "drs", "dr-syncer-system", values(t, `prometheusRule: {enabled: true, drillMaxAgeDays: 30}`))
	pr := r.find(t, "PrometheusRule", "")
	if pr == nil {
		t.Fatal("no PrometheusRule")
	}
	groups, _, _ := unstructured.NestedSlice(pr.Object, "spec", "groups")
	var expr string
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, rule := range rules {
			if m := rule.(map[string]any); m["alert"] == "DrSyncerNoRecentDrill" {
				expr, _ = m["expr"].(string)
			}
		}
	}
	for _, want := range []string{
		"(time() - drsyncer_namespacemapping_last_successful_drill_timestamp_seconds) > 30 * 86400",
		"drsyncer_namespacemapping_ready unless on(mapping) drsyncer_namespacemapping_last_successful_drill_timestamp_seconds",
		"unless on(mapping) drsyncer_namespacemapping_live == 1",
	} {
		if !strings.Contains(expr, want) {
			t.Errorf("DrSyncerNoRecentDrill expr = %q, want it to contain %q", expr, want)
		}
	}
}
