package controller

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestWatchdog(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	w := NewWatchdog()
	w.now = func() time.Time { return now }
	key := types.NamespacedName{Namespace: "ns", Name: "m"}
	if err := w.Check(nil); err != nil {
		t.Fatalf("idle watchdog: %v", err)
	}
	done := w.Track(key)
	now = now.Add(wedgedAfter - time.Second)
	if err := w.Check(nil); err != nil {
		t.Fatalf("reconcile within the limit: %v", err)
	}
	now = now.Add(2 * time.Second)
	if err := w.Check(nil); err == nil {
		t.Fatal("a reconcile past the limit must fail the check")
	}
	done()
	if err := w.Check(nil); err != nil {
		t.Fatalf("after the reconcile ended: %v", err)
	}
}
