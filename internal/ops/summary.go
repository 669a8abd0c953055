package ops

import (
	"fmt"
	"strings"

	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// SyncSummary is the one-line account of a sync or plan shared by every command.
func SyncSummary(res *engine.Result, dryRun bool) string {
	s := res.Stats
	stashed := ""
	if s.Stashed > 0 {
		stashed = fmt.Sprintf(", %d stashed until cutover", s.Stashed)
	}
	if dryRun {
		return fmt.Sprintf("Plan: %d to create, %d to update, %d to delete, %d unchanged, %d conflicts, %d skipped, %d failed%s (%d types, %s)",
			s.Created, s.Updated, s.Deleted, s.Unchanged, s.Conflicts, s.Skipped, s.Failed, stashed, res.Types, res.Duration.Round(1e6))
	}
	return fmt.Sprintf("Synced: %d created, %d updated, %d deleted, %d unchanged, %d conflicts, %d skipped, %d failed%s (%d types, %s)",
		s.Created, s.Updated, s.Deleted, s.Unchanged, s.Conflicts, s.Skipped, s.Failed, stashed, res.Types, res.Duration.Round(1e6))
}

// failureList names up to five failed objects of a sync.
func failureList(res *engine.Result) string {
	var names []string
	for _, f := range res.Failed {
		if f.Reason == "Conflict" {
			continue
		}
		if len(names) == 5 {
			names = append(names, "...")
			break
		}
		names = append(names, fmt.Sprintf("%s %s: %s", f.Kind, f.Name, f.Reason))
	}
	return strings.Join(names, "; ")
}
