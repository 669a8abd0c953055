package demo

import (
	"fmt"
	"io"
	"sync"
)

// steps prints each step of the story as ✓ or ✗ and counts them.
type steps struct {
	mu             sync.Mutex
	w              io.Writer
	passed, failed int
}

// run runs one step and prints its outcome: "✓ title: detail" or "✗ title: error".
func (s *steps) run(title string, step func() (detail string, err error)) error {
	detail, err := step()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failed++
		fmt.Fprintf(s.w, "✗ %s: %v\n", title, err)
		return err
	}
	s.passed++
	if detail != "" {
		fmt.Fprintf(s.w, "✓ %s: %s\n", title, detail)
	} else {
		fmt.Fprintf(s.w, "✓ %s\n", title)
	}
	return nil
}

// say prints a line that is not a step.
func (s *steps) say(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format+"\n", args...)
}

// result is nil when every step passed.
func (s *steps) result() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed > 0 {
		return fmt.Errorf("%d of %d demo steps failed", s.failed, s.passed+s.failed)
	}
	return nil
}
