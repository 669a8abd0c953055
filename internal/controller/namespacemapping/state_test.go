package namespacemapping

import (
	"testing"
	"time"
)

// A probe that never comes must not cost a reconcile every second for ever.
func TestNextProbeWaitBacksOff(t *testing.T) {
	var st mappingState
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := st.nextProbeWait(); got != w {
			t.Fatalf("wait %d = %v, want %v", i+1, got, w)
		}
	}
	st.probed()
	if got := st.nextProbeWait(); got != time.Second {
		t.Fatalf("after a probe the wait starts again at 1s, got %v", got)
	}
}
