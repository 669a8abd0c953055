package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/ops"
)

// opFlags are the flags of cutover and failback.
type opFlags struct {
	cluster       clusterFlags
	sync          syncFlags
	dryRun        bool
	sourceTimeout time.Duration
	// wait is cutover's --wait and --timeout, out its -o (registered by cutover only).
	wait    waitFlags
	out     outputFlag
	canWait bool
}

func (f *opFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.SortFlags = false
	f.cluster.register(cmd)
	f.sync.register(fs)
	f.sync.complete(cmd)
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the steps and the changes they would make; write nothing")
	fs.DurationVar(&f.sourceTimeout, "source-timeout", ops.DefaultSourceTimeout, "how long to wait for the source cluster to answer")
}

// operation is ops.Cutover or ops.Failback.
type operation func(context.Context, *ops.Scope, ops.Options) (*ops.Report, error)

// run resolves the clusters and runs op, printing its steps to standard output and the progress
// of its sync (labelled syncLabel) to standard error. tune sets the options of one command.
func (f *opFlags) run(cmd *cobra.Command, what, syncLabel string, op operation, ro resolveOptions, tune func(*ops.Options)) error {
	if f.canWait && f.wait.enabled {
		if err := f.wait.checkTimeout(); err != nil {
			return err
		}
	}
	s, err := resolveScope(cmd.Context(), cmd, &f.cluster, &f.sync, ro)
	if err != nil {
		return err
	}
	// A misspelled --resource-types would make the final (or reverse) sync copy nothing of the
	// type, silently. Checked against DR, the one cluster cutover must reach; not with
	// --sync-crds (DR may learn a type in the sync), nor for a mapping's spec (the controller
	// reports it).
	fs := cmd.Flags()
	if s.Controller == nil && !f.sync.syncCRDs && (fs.Changed("resource-types") || fs.Changed("exclude-resource-types")) {
		if err := checkResourceTypesOn(s, s.Dest); err != nil {
			return err
		}
	}
	if f.canWait {
		if err := f.out.check("table", "json", "yaml"); err != nil {
			return err
		}
	}
	// With -o json|yaml, standard output holds the document only: the steps go to standard error.
	out := cmd.OutOrStdout()
	structured := f.canWait && f.out.format != "table"
	if structured {
		out = cmd.ErrOrStderr()
	}
	start := time.Now()
	fmt.Fprintf(out, "%s %s\n", what, s.Where())
	o := ops.Options{
		DryRun: f.dryRun, SourceTimeout: f.sourceTimeout, Out: out,
		SyncProgress: func(req *engine.Request) func() {
			p := newProgress(cmd.ErrOrStderr(), syncLabel)
			p.attach(req)
			return p.finish
		},
	}
	tune(&o)
	rep, err := op(cmd.Context(), s, o)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, s.Where(), err)
	}
	writeOutcome(out, what, rep, f.dryRun)
	doc := cutoverOutput{DryRun: f.dryRun, Changes: rep.Changes, Warnings: rep.Warnings}
	if doc.Warnings == nil {
		doc.Warnings = []string{}
	}
	var werr error
	if f.canWait && f.wait.enabled && !f.dryRun {
		doc.Wait, werr = f.wait.waitReady(cmd.Context(), out, s, rep.Activated, start)
	}
	if structured {
		if err := writeStructured(cmd.OutOrStdout(), f.out.format, doc); err != nil {
			return err
		}
	}
	return werr
}

// cutoverOutput is the document cutover prints with -o json or yaml.
type cutoverOutput struct {
	DryRun   bool     `json:"dryRun"`
	Changes  int      `json:"changes"`
	Warnings []string `json:"warnings"`
	// Wait is the wait for readiness; absent with --wait=false or --dry-run.
	Wait *waitOutput `json:"wait,omitempty"`
}

// writeOutcome prints the last line of a cutover or failback.
func writeOutcome(w io.Writer, what string, rep *ops.Report, dryRun bool) {
	switch {
	case dryRun:
		fmt.Fprintf(w, "dry run: %s would make %d changes; nothing was written\n", what, rep.Changes)
	case len(rep.Warnings) > 0:
		fmt.Fprintf(w, "%s done with %d changes and %d warnings (see above)\n", what, rep.Changes, len(rep.Warnings))
	case rep.Changes == 0:
		fmt.Fprintf(w, "%s done: nothing to change\n", what)
	default:
		fmt.Fprintf(w, "%s done: %d changes\n", what, rep.Changes)
	}
}

func newCutoverCommand() *cobra.Command {
	var (
		of     opFlags
		noSync bool
	)
	cmd := &cobra.Command{
		Use:   "cutover",
		Short: "Bring a DR namespace live",
		Long: `Bring a DR namespace live, in five steps:

  1. pause the NamespaceMappings that write into it (--mapping form: the controller's cluster
     is known), so that no sync parks DR again;
  2. run a final sync, when the source answers (skip it with --no-sync); it deletes nothing in
     DR unless --prune is given, so a production namespace half deleted by the disaster is
     not mirrored into DR just before it goes live;
  3. mark the DR namespace live (annotation dr-syncer.io/live-since);
  4. park the source workloads that have a DR copy (replicas 0, CronJobs, Jobs and Flux
     objects suspended, DaemonSets parked, KEDA scalers paused), recording what they ran in the same annotations dr-syncer uses in DR
     (dr-syncer.io/original-replicas, ...) on the source objects; skipped with a warning when
     the source does not answer;
  5. restore every DR workload from dr-syncer's records: replica counts, CronJobs and Flux
     objects resumed, DaemonSets unparked, KEDA scalers unpaused, Jobs resumed unless the
     source Job had finished when last synced.

Only the DR cluster has to answer: with the source API server down, cutover waits
--source-timeout for it and goes on. Every step looks before it writes, so running cutover
again changes nothing, and a cutover interrupted halfway is finished by running it again (when
the source comes back, run it once more to park the source).

Then (unless --wait=false) it waits until every activated workload is ready, as kstatus
computes readiness (a Deployment's, StatefulSet's, ReplicaSet's or ReplicationController's
Pods ready and available, a DaemonSet's scheduled and ready, a Job started; a StatefulSet
with updateStrategy OnDelete by its ready Pods, a custom resource with a scale subresource also
by the replicas its scale reports), printing each workload as it comes up, and ends with
"DR ready in 12.4s", measured from the start of the cutover. --timeout must be positive. At --timeout (10m) it lists what is not ready and why (kstatus' summary and the
workload's own condition messages) and exits with status 3: DR is live, but not all of it
came up.

-o json or yaml prints the outcome as data (dryRun, changes, warnings, and wait: ready,
readySeconds, workloads[] with kind, name, ready, message, timeToReadySeconds); the steps then
go to standard error.

When the controller runs in the source cluster and that cluster is down, use the flag form:
the mappings cannot be paused then; when the source comes back, its controller resumes them
unless it is kept down, so run cutover (--mapping form) again at once.`,
		Example: `  # production is down: bring DR live from the DR cluster alone
  dr-syncer cutover --source-context prod --dest-context dr --source-namespace shop

  # the controller's mapping: pause it, final sync, park prod, activate DR
  dr-syncer cutover --mapping dr-syncer-system/shop

  # final sync that also deletes DR copies whose source is gone
  dr-syncer cutover --mapping dr-syncer-system/shop --prune

  # bring DR live and give its workloads 5 minutes to come up (exit 3 if they do not)
  dr-syncer cutover --mapping dr-syncer-system/shop --timeout 5m

  # bring DR live and return at once
  dr-syncer cutover --mapping dr-syncer-system/shop --wait=false

  # for a script: the outcome and the wait as JSON (the steps go to standard error)
  dr-syncer cutover --mapping dr-syncer-system/shop -o json

  # see the steps first
  dr-syncer cutover --mapping dr-syncer-system/shop --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return of.run(cmd, "cutover", "final sync", ops.Cutover, resolveOptions{withMapping: []string{"prune"}}, func(o *ops.Options) {
				o.NoSync = noSync
				o.Prune = cmd.Flags().Changed("prune") && of.sync.prune
			})
		},
	}
	of.register(cmd)
	of.canWait = true
	of.wait.register(cmd, "after activating, wait until every activated workload is ready")
	of.out.register(cmd.Flags(), "table", "json", "yaml")
	cmd.Flags().BoolVar(&noSync, "no-sync", false, "skip the final sync (it runs by default when the source answers)")
	return cmd
}
