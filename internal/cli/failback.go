package cli

import (
	"github.com/spf13/cobra"

	"github.com/dr-syncer/dr-syncer/internal/ops"
)

func newFailbackCommand() *cobra.Command {
	var (
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
  2. park every DR workload again (replicas 0, suspended, paused; finished Jobs stay). If any
     cannot be parked (an admission policy, a quota), failback stops here with exit status 1:
     DR stays marked live and the source is not touched, so nothing runs on both sides;
  3. remove the live mark of the DR namespace;
  4. restore the source workloads from the counts the cutover recorded on them, and drop the
     records;
  5. unpause the NamespaceMappings (--mapping form), so that syncing resumes.

The source cluster must answer and must not be the DR namespace itself (compared by cluster
identity). Like cutover, failback looks before it writes and can be run again safely: a
failback that stopped is finished by running it again.`,
		Example: `  # production is back: park DR, restart prod's workloads, resume the mapping
  dr-syncer failback --mapping dr-syncer-system/shop

  # DR served for a week: take its configuration back to prod first
  dr-syncer failback --mapping dr-syncer-system/shop --reverse-sync

  # flag form
  dr-syncer failback --source-context prod --dest-context dr --source-namespace shop --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return of.run(cmd, "failback", "reverse sync", ops.Failback, resolveOptions{}, func(o *ops.Options) { o.ReverseSync = reverseSync })
		},
	}
	of.register(cmd)
	cmd.Flags().BoolVar(&reverseSync, "reverse-sync", false, "copy DR's objects back into the source namespace before parking DR")
	return cmd
}
