package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dr-syncer/dr-syncer/internal/engine"
)

func newPlanCommand() *cobra.Command {
	var (
		cf       clusterFlags
		sf       syncFlags
		out      printFlags
		withDiff bool
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what a sync would change in the DR cluster, writing nothing",
		Long: `Plan a sync: list, per destination object, whether a sync would create, update, delete it,
leave it unchanged, or leave it alone because dr-syncer did not write it (conflict). The DR API
server checks every create and update with a server-side dry run, so admission errors show up in
the plan. Nothing is written to either cluster. The STANDBY column says what DR holds back
until cutover: parked (DETAILS says how) or stashed (ParkingRule stash: true).

--diff adds a unified diff of every change, like kubectl diff; Secret values are masked.

Exit status: 0 = no changes, 2 = changes (creates, updates or deletes), 1 = error, including
objects the DR API server would refuse. Conflicts are not changes: a sync leaves them alone.`,
		Example: `  # one kubeconfig with a context per cluster
  dr-syncer plan --source-context prod --dest-context dr --source-namespace shop

  # the plan of an existing NamespaceMapping, with diffs
  dr-syncer plan --mapping dr-syncer-system/shop --diff

  # in a script
  dr-syncer plan --mapping dr-syncer-system/shop -o json > plan.json; echo "exit $?"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := resolveScope(ctx, cmd, &cf, &sf, resolveOptions{needSource: true})
			if err != nil {
				return err
			}
			if err := checkResourceTypes(s); err != nil {
				return err
			}
			req := s.Sync
			req.DryRun, req.KeepObjects = true, withDiff
			res, err := engine.Sync(ctx, req)
			if err != nil {
				return fmt.Errorf("plan %s: %w", s.Where(), err)
			}
			if err := printResult(cmd.OutOrStdout(), cmd.ErrOrStderr(), &out, s, req, res, withDiff, true); err != nil {
				return err
			}
			switch {
			case res.Stats.Failed > 0:
				return fmt.Errorf("%d objects would fail: see the failed rows of the plan", res.Stats.Failed)
			case hasChanges(res.Stats):
				return &ExitError{Code: 2}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	cf.register(cmd)
	sf.register(fs)
	sf.complete(cmd)
	out.register(cmd)
	fs.BoolVar(&withDiff, "diff", false, "show a unified diff of every change (Secret values masked)")
	return cmd
}
