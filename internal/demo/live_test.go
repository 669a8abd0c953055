package demo

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

func TestViewLines(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-d)); return &t }
	v := view{
		mapping: &drv1.NamespaceMapping{
			ObjectMeta: metav1.ObjectMeta{Namespace: controllerNamespace, Name: mappingName},
			Spec:       drv1.NamespaceMappingSpec{ReplicationMode: drv1.ModeContinuous},
			Status: drv1.NamespaceMappingStatus{
				Phase:         drv1.PhaseSynced,
				Conditions:    []metav1.Condition{{Type: drv1.ConditionReady, Status: metav1.ConditionTrue}},
				LastSyncTime:  ago(42 * time.Second),
				LastEventTime: ago(3 * time.Second),
				LastSyncStats: &drv1.SyncStats{Total: 6, Created: 6},
			},
		},
		rc: &drv1.RemoteCluster{
			ObjectMeta: metav1.ObjectMeta{Name: remoteClusterName},
			Status: drv1.RemoteClusterStatus{ServerVersion: "v1.37.2", LastProbeTime: ago(10 * time.Second),
				Conditions: []metav1.Condition{{Type: drv1.ConditionReady, Status: metav1.ConditionTrue}}},
		},
		change: changeOutcome{count: 2, p: propagation{revision: 3, lag: 23 * time.Millisecond, at: now.Add(-time.Second)}},
	}
	got := strings.Join(v.lines(now), "\n")
	for _, want := range []string{
		"dr-syncer-system/shop  Continuous  Synced  True   42s ago    3s ago",
		"dr             True   v1.37.2  10s ago",
		"demo change #2: ConfigMap shop/settings revision=3 seen in dr 23ms after the write in prod (1s ago)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}

	// Without a clock the rendering has no ages, so it only changes when the state does.
	later := v
	later.mapping = v.mapping.DeepCopy()
	later.mapping.Status.LastSyncTime = ago(time.Second)
	if a, b := strings.Join(v.lines(time.Time{}), "\n"), strings.Join(later.lines(time.Time{}), "\n"); a != b || strings.Contains(a, "ago") {
		t.Errorf("renderings without a clock differ or show ages:\n%s\n---\n%s", a, b)
	}

	// A mapping that is not ready says why; a failed change says so.
	v.mapping.Status.Conditions[0] = metav1.Condition{Type: drv1.ConditionReady, Status: metav1.ConditionFalse, Message: "cluster dr is not connected"}
	v.change = changeOutcome{count: 3, err: errors.New("revision=4 not in dr 30s after the write in prod")}
	got = strings.Join(v.lines(now), "\n")
	for _, want := range []string{"mapping not ready: cluster dr is not connected", "demo change #3 failed: revision=4 not in dr"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

// TestViewPods: the table shows what runs in the app's namespace on each side, and after the
// disaster day that prod is down and what dr runs.
func TestViewPods(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	v := view{
		mapping: &drv1.NamespaceMapping{ObjectMeta: metav1.ObjectMeta{Namespace: controllerNamespace, Name: mappingName}},
		rc:      &drv1.RemoteCluster{ObjectMeta: metav1.ObjectMeta{Name: remoteClusterName}},
		pods:    map[string]podCount{"prod": {total: 3, ready: 3}, "dr": {}},
		podsErr: map[string]error{},
	}
	got := strings.Join(v.lines(now), "\n")
	for _, want := range []string{`CLUSTER\s+NAMESPACE\s+PODS\s+READY`, `prod\s+shop\s+3\s+3`, `dr\s+shop\s+0\s+0`} {
		if !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("table lacks %s:\n%s", want, got)
		}
	}

	v.prodDown = now.Add(-time.Minute)
	v.pods = map[string]podCount{"dr": {total: 3, ready: 2}}
	v.err = errors.New("connection refused") // prod's status is not read any more
	got = strings.Join(v.lines(now), "\n")
	for _, want := range []string{`prod is down since 11:59:00 \(disaster day\); dr is live`, `prod\s+shop\s+down`, `dr\s+shop\s+3\s+2`} {
		if !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("table lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "NAMESPACEMAPPING") || strings.Contains(got, "connection refused") {
		t.Errorf("with prod down the table shows prod's status:\n%s", got)
	}
}
