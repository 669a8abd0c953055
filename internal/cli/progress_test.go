package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// feed runs a fake sync of n objects through p: one skip while listing, then n writes and a prune.
func feed(p *progress, n int) {
	req := engine.Request{}
	p.attach(&req)
	req.OnAction(engine.Action{Name: "ignored", Type: engine.ActionSkip})
	req.OnListed(n)
	for i := range n {
		typ := engine.ActionUnchanged
		if i%4 == 0 {
			typ = engine.ActionCreate
		}
		req.OnAction(engine.Action{Name: "obj", Type: typ})
	}
	req.OnAction(engine.Action{Name: "old", Type: engine.ActionDelete})
	p.finish()
}

func TestProgressPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, "sync")
	if p.tty {
		t.Fatal("a buffer is not a terminal")
	}
	feed(p, 40)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != "sync: 40 objects to plan and write" {
		t.Errorf("first line %q", lines[0])
	}
	// One line per tenth of the work, the last one complete.
	if len(lines) != 11 {
		t.Errorf("%d lines, want 11:\n%s", len(lines), out.String())
	}
	if want := "sync: 40/40 objects (100%): 10 created, 0 updated, 0 deleted, 0 failed"; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	if strings.Contains(out.String(), "\r") {
		t.Error("plain output contains carriage returns")
	}
}

func TestProgressBarOnTerminal(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := &progress{w: &out, tty: true, label: "sync", now: func() time.Time {
		clock = clock.Add(time.Second) // every call may redraw
		return clock
	}}
	feed(p, 4)
	s := out.String()
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Errorf("the bar must stay on one line and end it when done: %q", s)
	}
	frames := strings.Split(strings.TrimSuffix(s, "\n"), "\r")
	last := frames[len(frames)-1]
	if !strings.HasPrefix(last, "sync ["+strings.Repeat("=", barWidth)+"] 4/4  1 created, 0 updated, 1 deleted, 0 failed") {
		t.Errorf("last frame %q", last)
	}
	if !strings.Contains(s, "sync [===============>              ] 2/4") {
		t.Errorf("no half-way frame in %q", s)
	}
}
