package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dr-syncer/dr-syncer/internal/engine"
)

func newSyncCommand() *cobra.Command {
	var (
		allowPrune bool
		cf         clusterFlags
		sf         syncFlags
		out        printFlags
	)
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync a namespace into the DR cluster once",
		Long: `Run one sync, the same the controller runs for a NamespaceMapping: copy the selected objects of
the source namespace into the DR namespace as a parked standby image (everything that runs
parked, its original recorded on it: Deployments, StatefulSets, ReplicaSets,
ReplicationControllers and scalable custom resources at 0 replicas, CronJobs, Jobs and Flux
objects suspended, DaemonSets parked, KEDA scalers paused, KubeVirt VirtualMachines Halted,
CloudNativePG Clusters hibernated; with --mapping, the ParkingRules of its namespace too; with
--park-networking, Ingresses and LoadBalancer Services), and, with --prune, delete the copies
whose source is gone.

Progress goes to standard error: a bar on a terminal, a line per tenth of the work otherwise.
The summary is the one plan prints. Exit status: 0 = synced, 1 = error or failed objects.

The flag form writes its objects with the mapping ID cli.<source-namespace>.<8 hex digits of
the source cluster ID> (label dr-syncer.io/mapping), derived from the source alone: it updates
and prunes only its own copies, and reports objects that a NamespaceMapping wrote as conflicts
(use --mapping to run that mapping's sync). Source and destination must not be one namespace of one cluster, compared
by cluster identity (the UID of kube-system), not by server URL.`,
		Example: `  # copy "shop" from the prod context into the dr context
  dr-syncer sync --source-context prod --dest-context dr --source-namespace shop

  # only the web tier, into a renamed namespace, workloads running in DR
  dr-syncer sync --source-context prod --dest-context dr --source-namespace shop \
    --dest-namespace shop-dr --selector tier=web --scale-to-zero=false

  # keep DR's Ingresses and load balancers from taking traffic before cutover
  dr-syncer sync --source-context prod --dest-context dr --source-namespace shop --park-networking

  # run a NamespaceMapping's sync now, from a workstation
  dr-syncer sync --mapping dr-syncer-system/shop`,
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
			req.AllowPrune = allowPrune
			p := newProgress(cmd.ErrOrStderr(), "sync")
			p.attach(&req)
			res, err := engine.Sync(ctx, req)
			p.finish()
			if err != nil {
				return fmt.Errorf("sync %s: %w", s.Where(), err)
			}
			if err := printResult(cmd.OutOrStdout(), cmd.ErrOrStderr(), &out, s, req, res, false, false); err != nil {
				return err
			}
			if res.Stats.Failed > 0 {
				return fmt.Errorf("%d objects failed: see the failed rows above; fix them and sync again", res.Stats.Failed)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	cf.register(cmd)
	sf.register(fs)
	sf.complete(cmd)
	fs.BoolVar(&allowPrune, "allow-prune", false, "approve this run's prune past the delete guard (like the dr-syncer.io/allow-prune annotation): it deletes what it finds gone, and the guard's 24-hour window starts again from what remains")
	out.register(cmd)
	return cmd
}
