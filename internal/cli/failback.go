package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dr-syncer/dr-syncer/internal/ops"
)

func newFailbackCommand() *cobra.Command {
	var (
		cf          clusterFlags
		sf          syncFlags
		of          opFlags
		reverseSync bool
	)
	cmd := &cobra.Command{
		Use:   "failback",
		Short: "Park a live DR namespace again and return to the source",
		Long: `Undo a cutover, in five steps:

  1. with --reverse-sync, copy DR's objects back into the source namespace first, while DR is
     still live (DR may have changed while it served): the objects dr-syncer wrote into DR, with
     their current spec, adopted in the source; workloads arrive parked and step 4 starts them
     at DR's current counts. Objects created in DR by hand are not copied;
  2. remove the live mark of the DR namespace;
  3. park every DR workload again: replicas 0, CronJobs suspended, DaemonSets parked;
  4. restore the source workloads from the counts the cutover recorded on them, and drop the
     records;
  5. unpause the NamespaceMappings (--mapping form), so that syncing resumes.

The source cluster must answer. Like cutover, failback looks before it writes and can be run
again safely.`,
		Example: `  # production is back: park DR, restart prod's workloads, resume the mapping
  dr-syncer failback --mapping dr-syncer-system/shop

  # DR served for a week: take its configuration back to prod first
  dr-syncer failback --mapping dr-syncer-system/shop --reverse-sync

  # flag form
  dr-syncer failback --source-context prod --dest-context dr --source-namespace shop --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := resolveScope(cmd.Context(), cmd, &cf, &sf, resolveOptions{})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "failback %s\n", s.Where())
			o := of.options(out, cmd.ErrOrStderr(), "reverse sync")
			o.ReverseSync = reverseSync
			rep, err := ops.Failback(cmd.Context(), s, o)
			if err != nil {
				return fmt.Errorf("failback %s: %w", s.Where(), err)
			}
			writeOutcome(out, "failback", rep, of.dryRun)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	cf.register(fs)
	sf.register(fs)
	of.register(fs)
	fs.BoolVar(&reverseSync, "reverse-sync", false, "copy DR's objects back into the source namespace before parking DR")
	return cmd
}
