package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// PeakAnnotationPrefix names the DR namespace annotation that remembers, per mapping, the most
// objects it managed there within DeleteGuardWindow: `peak.dr-syncer.io/<mapping ID>` with the
// value `<count>@<unix seconds>`. The delete guard judges every prune against it, so deletions
// made by separate runs (command-line syncs, a restarted controller) add up within the window:
// the guard's memory lives with the data, not in one process.
const PeakAnnotationPrefix = "peak.dr-syncer.io/"

// peakMark is a mapping's recorded peak of managed objects in its DR namespace.
type peakMark struct {
	count int
	at    time.Time
}

// readPeak reads the mapping's peak mark from the DR namespace; a mark older than the window,
// missing or garbled counts as none (count 0).
func readPeak(ns *unstructured.Unstructured, mappingID string, now time.Time) peakMark {
	if ns == nil {
		return peakMark{}
	}
	v, ok := ns.GetAnnotations()[PeakAnnotationPrefix+mappingID]
	if !ok {
		return peakMark{}
	}
	c, at, ok := strings.Cut(v, "@")
	n, err1 := strconv.Atoi(c)
	sec, err2 := strconv.ParseInt(at, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 0 {
		return peakMark{}
	}
	m := peakMark{count: n, at: time.Unix(sec, 0)}
	if now.Sub(m.at) > DeleteGuardWindow {
		return peakMark{}
	}
	return m
}

func (m peakMark) String() string { return fmt.Sprintf("%d@%d", m.count, m.at.Unix()) }

// notePeak records level as the mapping's peak when it is above the recorded one or that one
// expired, and resets it after a released prune (approved deletions are no loss to guard
// against later). A run that deletes (deleting) also records a level equal to the mark, with
// the current time: the mapping was at its peak until now, so the window must run from now, not
// from when the mapping last grew (else a prune just before the mark expires and one just after
// it add up unseen). It writes only when the mark changes or a run deletes, so a no-op resync
// writes nothing.
func (r *run) notePeak(ctx context.Context, mark peakMark, level int, reset, deleting bool) {
	if r.req.DryRun || r.destNS == nil {
		return
	}
	if !reset && mark.count != 0 && (level < mark.count || (level == mark.count && !deleting)) {
		return
	}
	if mark.count == level && !reset && !deleting {
		return // no mark and nothing managed
	}
	next := peakMark{count: level, at: time.Now()}
	if err := r.patchPeak(ctx, next); err != nil {
		// The in-process guard still holds; the next run records it.
		r.note(Action{Type: ActionFailed, Reason: "PeakNotRecorded", Message: err.Error()})
	}
}
