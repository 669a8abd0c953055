package engine

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) add(d time.Duration)     { c.t = c.t.Add(d) }
func newTestGuard(c *fakeClock) *DeleteGuard { g := NewDeleteGuard(); g.now = c.now; return g }

func TestDeleteGuardBurstHeldBeforeFirstDelete(t *testing.T) {
	c := &fakeClock{t: time.Unix(1e9, 0)}
	g := newTestGuard(c)
	g.Created(12)
	// 12 of 12 managed copies lose their source at once (finding 6: the other 30 ConfigMaps of
	// the namespace are not the mapping's and do not dilute the count).
	for i := range 12 {
		if d := g.admitOne(string(rune('a'+i)), 12, 50); d != Wait {
			t.Fatalf("first ask %d: %v, want Wait", i, d)
		}
	}
	c.add(DeleteSettle)
	if d := g.admitOne("a", 12, 50); d != Hold {
		t.Fatalf("burst of 12 of 12 after settle: %v, want Hold", d)
	}
	if b := g.Blocked(); b == nil || b.WouldDelete != 12 {
		t.Fatalf("blocked = %+v, want 12 held", b)
	}
}

func TestDeleteGuardSlowDripTrips(t *testing.T) {
	c := &fakeClock{t: time.Unix(1e9, 0)}
	g := newTestGuard(c)
	g.Created(30)
	managed, deleted := 30, 0
	for i := range 30 {
		key := string(rune('a' + i))
		if g.admitOne(key, managed, 50) != Wait {
			t.Fatal("want Wait")
		}
		c.add(10 * time.Minute) // one deletion every ten minutes
		if g.admitOne(key, managed, 50) == Hold {
			break
		}
		managed--
		deleted++
	}
	if deleted > 15 {
		t.Fatalf("a slow drip deleted %d of 30 (more than 50%%)", deleted)
	}
	if g.Blocked() == nil {
		t.Fatal("guard did not trip on a slow drip")
	}
}

func TestDeleteGuardChurnDoesNotTrip(t *testing.T) {
	c := &fakeClock{t: time.Unix(1e9, 0)}
	g := newTestGuard(c)
	g.Created(20)
	// A release replaces 15 objects every five minutes for hours: the level never drops far.
	for round := range 50 {
		for i := range 15 {
			if b := g.admitBatch(1, 20, 0, 50, false); b != nil {
				t.Fatalf("round %d, delete %d: churn tripped the guard: %+v", round, i, b)
			}
			g.Created(1)
		}
		c.add(5 * time.Minute)
	}
}

func TestDeleteGuardAllowReleases(t *testing.T) {
	g := NewDeleteGuard()
	g.Created(30)
	if g.admitBatch(30, 30, 0, 50, false) == nil {
		t.Fatal("30 of 30 admitted")
	}
	if g.admitBatch(30, 30, 0, 50, true) != nil || g.Blocked() != nil {
		t.Fatal("allow-prune did not release")
	}
}

// TestDeleteGuardProperty: over random sequences of creates, batch prunes and single deletions,
// the objects the guard let go within its window never exceed maxDeletePercent of the peak
// (beyond the minimum), unless released.
func TestDeleteGuardProperty(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		c := &fakeClock{t: time.Unix(1e9, 0)}
		g := newTestGuard(c)
		pct := 10 + rng.IntN(81)
		managed := rng.IntN(200)
		g.Created(managed)
		peak := managed
		pending := map[string]bool{}
		for step := range 300 {
			switch rng.IntN(4) {
			case 0:
				n := rng.IntN(10)
				g.Created(n)
				managed += n
			case 1:
				if managed == 0 {
					continue
				}
				n := 1 + rng.IntN(managed)
				if g.admitBatch(n, managed, 0, pct, false) == nil {
					managed -= n
				}
			case 2:
				if managed == 0 {
					continue
				}
				key := string(rune('a' + rng.IntN(26)))
				pending[key] = true
				if g.admitOne(key, managed, pct) == Delete {
					managed--
					delete(pending, key)
				}
			case 3:
				c.add(time.Duration(rng.IntN(120)) * time.Second)
			}
			peak = max(peak, managed)
			if lost := peak - managed; lost > pruneGuardMinimum+1 && lost*100 > pct*peak+100 {
				t.Fatalf("seed %d step %d: lost %d of peak %d with maxDeletePercent %d", seed, step, lost, peak, pct)
			}
		}
	}
}

func TestOwnership(t *testing.T) {
	obj := func(label, source string, controller bool) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetKind("ConfigMap")
		u.SetName("x")
		if label != "" {
			u.SetLabels(map[string]string{drv1.LabelMapping: label})
		}
		if source != "" {
			u.SetAnnotations(map[string]string{drv1.AnnotationSource: source})
		}
		if controller {
			yes := true
			u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "db.example.com/v1", Kind: "Cluster", Name: "pg", UID: "u", Controller: &yes}})
		}
		return u
	}
	cases := []struct {
		name           string
		obj            *unstructured.Unstructured
		owns, adoptOK  bool
		conflictSubstr string
	}{
		{"copy", obj("ns.m", "local/a/x", false), true, true, ""},
		{"label only (operator copied labels)", obj("ns.m", "", false), false, true, "without annotation"},
		{"label and controller", obj("ns.m", "", true), false, false, "controlled by Cluster pg"},
		{"copy with controller", obj("ns.m", "local/a/x", true), false, false, "controlled by"},
		{"other mapping", obj("ns.other", "local/b/x", false), false, false, `belongs to mapping "ns.other"`},
		{"hand made", obj("", "", false), false, true, "not created by dr-syncer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Owns(tc.obj, "ns.m"); got != tc.owns {
				t.Fatalf("Owns = %v, want %v", got, tc.owns)
			}
			if ok, _ := adoptable(tc.obj, "ns.m"); ok != tc.adoptOK {
				t.Fatalf("adoptable = %v, want %v", ok, tc.adoptOK)
			}
			if tc.owns {
				return
			}
			msg := conflictMessage(tc.obj, "ns.m", false)
			if !strings.Contains(msg, tc.conflictSubstr) {
				t.Fatalf("conflict message %q lacks %q", msg, tc.conflictSubstr)
			}
			if got := conflictMessage(tc.obj, "ns.m", true); (got == "") != tc.adoptOK {
				t.Fatalf("with Adopt: message %q, adoptable %v", got, tc.adoptOK)
			}
		})
	}
}

// TestDeleteGuardRemembersFirstBatchAfterRestart: a guard starts empty when the controller
// starts, with the mapping's copies already in DR (nothing "created" since). The first batch it
// admits must count in the window like any other: 10 of 20 copies go (the guard's minimum),
// then the other 10 in the next run is 20 of 20 lost, a mass deletion.
func TestDeleteGuardRemembersFirstBatchAfterRestart(t *testing.T) {
	c := &fakeClock{t: time.Unix(1e9, 0)}
	g := newTestGuard(c)
	if b := g.admitBatch(10, 20, 0, 50, false); b != nil {
		t.Fatalf("10 of 20: blocked %+v, want admitted (the guard's minimum)", b)
	}
	c.add(time.Minute)
	if b := g.admitBatch(10, 10, 0, 50, false); b == nil {
		t.Fatal("the other 10 of 20 a minute later were admitted: the first batch after a restart is forgotten")
	}
}
