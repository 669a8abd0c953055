package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/dr-syncer/dr-syncer/internal/engine"
)

const (
	// barWidth is the number of cells of the terminal progress bar.
	barWidth = 30
	// redrawEvery throttles terminal redraws.
	redrawEvery = 100 * time.Millisecond
	// plainSteps: without a terminal, one line per tenth of the work.
	plainSteps = 10
)

// progress reports a running sync: a bar redrawn in place on a terminal, a few plain lines
// otherwise (logs, CI). The engine serialises its calls.
type progress struct {
	w     io.Writer
	tty   bool
	label string
	now   func() time.Time

	total, done      int
	created, updated int
	deleted, failed  int
	listed           bool
	lastDraw         time.Time
	lastStep         int
	started          time.Time
}

// newProgress reports to w; it draws a bar only when w is a terminal.
func newProgress(w io.Writer, label string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, tty: tty, label: label, now: time.Now}
}

// attach makes req report to p.
func (p *progress) attach(req *engine.Request) {
	p.started = p.now()
	req.OnListed = p.onListed
	req.OnAction = p.onAction
}

func (p *progress) onListed(n int) {
	p.total, p.listed = n, true
	if !p.tty {
		fmt.Fprintf(p.w, "%s: %d objects to plan and write\n", p.label, n)
	}
	p.draw(false)
}

func (p *progress) onAction(a engine.Action) {
	switch a.Type {
	case engine.ActionCreate:
		p.created++
	case engine.ActionUpdate:
		p.updated++
	case engine.ActionDelete:
		p.deleted++
	case engine.ActionFailed:
		p.failed++
	}
	// Objects skipped or failed while listing are not among the listed total; deletions come after.
	if p.listed && a.Name != "" && a.Type != engine.ActionDelete {
		p.done++
	}
	p.draw(false)
}

// finish draws the final state and ends the bar's line.
func (p *progress) finish() {
	if p.tty && p.listed {
		p.draw(true)
		fmt.Fprintln(p.w)
	}
}

func (p *progress) counts() string {
	return fmt.Sprintf("%d created, %d updated, %d deleted, %d failed", p.created, p.updated, p.deleted, p.failed)
}

func (p *progress) draw(force bool) {
	if !p.listed {
		return
	}
	if !p.tty {
		if p.total == 0 {
			return
		}
		step := p.done * plainSteps / p.total
		if step > p.lastStep {
			p.lastStep = step
			fmt.Fprintf(p.w, "%s: %d/%d objects (%d%%): %s\n", p.label, p.done, p.total, p.done*100/p.total, p.counts())
		}
		return
	}
	now := p.now()
	if !force && now.Sub(p.lastDraw) < redrawEvery {
		return
	}
	p.lastDraw = now
	fmt.Fprintf(p.w, "\r%s", p.bar(now))
}

// bar renders one terminal line: label [=====>    ] done/total counts elapsed.
func (p *progress) bar(now time.Time) string {
	filled := barWidth
	if p.total > 0 {
		filled = min(p.done*barWidth/p.total, barWidth)
	}
	cells := strings.Repeat("=", filled)
	if filled < barWidth {
		cells += ">" + strings.Repeat(" ", barWidth-filled-1)
	}
	return fmt.Sprintf("%s [%s] %d/%d  %s  %s\x1b[K", p.label, cells, p.done, p.total, p.counts(), now.Sub(p.started).Round(time.Second))
}
