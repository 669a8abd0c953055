package cli

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/ops"
)

// drillOutput is the document drill prints with -o json or yaml.
type drillOutput struct {
	// Namespace is the scratch namespace of the drill in the DR cluster.
	Namespace  string          `json:"namespace"`
	RTOSeconds float64         `json:"rtoSeconds"`
	Ready      bool            `json:"ready"`
	Workloads  []drillWorkload `json:"workloads"`
	// Adapted lists what the drill changed or left out, so that it clashes with neither the DR
	// namespace nor production.
	Adapted []string `json:"adapted"`
	Failed  []string `json:"failed,omitempty"`
	Kept    bool     `json:"kept"`
	// RecordedOn lists the NamespaceMappings whose status.lastDrill was written.
	RecordedOn []string `json:"recordedOn,omitempty"`
}

type drillWorkload struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Ready   bool   `json:"ready"`
	Message string `json:"message"`
	// TimeToReadySeconds counts from the start of the drill; absent while not ready.
	TimeToReadySeconds *float64 `json:"timeToReadySeconds,omitempty"`
}

func newDrillOutput(rep *ops.DrillReport) drillOutput {
	o := drillOutput{Namespace: rep.Namespace, RTOSeconds: round1(rep.RTO), Ready: rep.Ready, Adapted: rep.Adapted,
		Failed: rep.Failed, Kept: rep.Kept, RecordedOn: rep.Recorded}
	if o.Adapted == nil {
		o.Adapted = []string{}
	}
	o.Workloads = workloadRows(rep.Workloads)
	return o
}

// workloadRows are the -o json|yaml rows of workloads waited for.
func workloadRows(states []ops.Readiness) []drillWorkload {
	out := []drillWorkload{}
	for _, w := range states {
		dw := drillWorkload{Kind: w.Kind, Name: w.Name, Ready: w.Ready, Message: w.Message}
		if w.Ready {
			t := round1(w.After)
			dw.TimeToReadySeconds = &t
		}
		out = append(out, dw)
	}
	return out
}

// round1 is a duration in seconds with one decimal.
func round1(d time.Duration) float64 { return math.Round(d.Seconds()*10) / 10 }

func newDrillCommand() *cobra.Command {
	var (
		cf      clusterFlags
		out     outputFlag
		wf      waitFlags
		drillNS string
		keep    bool
	)
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Rehearse a cutover in a scratch namespace of the DR cluster and measure the RTO",
		Long: `Rehearse the disaster without touching anything: copy the standby image of a DR namespace
(every object dr-syncer wrote there, as it is there: parked, with its records) into a scratch
namespace of the DR cluster, activate the copies as cutover would (the same activation), wait
until every workload is ready (kstatus, as cutover --wait), print a table per workload and the
total time (RTO), and delete the scratch namespace unless --keep.

The drill reads only the DR cluster: it works with production down, and writes neither to the
source cluster nor to the DR namespace. The scratch namespace (default <DR namespace>-drill,
--drill-namespace) is created with label dr-syncer.io/drill-of=<DR namespace>; a drill refuses
a namespace that exists without that label, or that is the DR or source namespace, and deletes
only a namespace with it (one left by an earlier drill is deleted first).

What would clash with the DR namespace or production is adapted, and the report lists it:
Services get new cluster IPs, fixed nodePorts are dropped, LoadBalancer Services are created as
ClusterIP, externalIPs and external-dns annotations are dropped; Ingresses, Gateway API
Gateways and routes, cert-manager Certificates and other objects that would publish
production's names are not created; PersistentVolumeClaims get new, empty volumes (the drill
proves that the workloads come up, not the data).

With --mapping, the result is recorded on the NamespaceMappings that write into the DR
namespace (status.lastDrill: time, rtoSeconds, ready) and exported by the controller as
metrics, for an alert on the age of the last successful drill.

Exit status: 0 = every workload came up; 1 = otherwise (not ready by --timeout, an object the
DR cluster refused, or an error).`,
		Example: `  # drill a NamespaceMapping's DR namespace, record the result on the mapping
  dr-syncer drill --mapping dr-syncer-system/shop

  # production down: the flag form reads only the DR cluster
  dr-syncer drill --source-context prod --dest-context dr --source-namespace shop

  # keep the scratch namespace to look around, give the workloads 3 minutes
  dr-syncer drill --mapping dr-syncer-system/shop --drill-namespace shop-rehearsal --keep --timeout 3m

  # for a script or a CronJob
  dr-syncer drill --mapping dr-syncer-system/shop -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check("table", "json", "yaml"); err != nil {
				return err
			}
			if err := wf.checkTimeout(); err != nil {
				return err
			}
			// The sync flags are not the drill's: it copies what is in DR. Defaults only.
			sf := syncFlags{resourceTypes: []string{"*"}, scaleToZero: true, prune: true, maxDeletePercent: 50, workers: 1,
				conflictPolicy: string(drv1.ConflictSkip), immutableFieldPolicy: string(drv1.ImmutableSkip)}
			s, err := resolveScope(cmd.Context(), cmd, &cf, &sf, resolveOptions{})
			if err != nil {
				return err
			}
			steps := cmd.OutOrStdout()
			if out.format != "table" {
				steps = cmd.ErrOrStderr()
			}
			fmt.Fprintf(steps, "drill %s\n", s.Where())
			rep, err := ops.Drill(cmd.Context(), s, ops.DrillOptions{Namespace: drillNS, Keep: keep, Timeout: wf.timeout,
				Out: steps, Progress: readyPrinter(steps)})
			if err != nil {
				return fmt.Errorf("drill %s: %w", s.Where(), err)
			}
			doc := newDrillOutput(rep)
			if out.format == "table" {
				writeDrillTable(cmd.OutOrStdout(), doc)
			} else if err := writeStructured(cmd.OutOrStdout(), out.format, doc); err != nil {
				return err
			}
			if !rep.Ready {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	cf.register(cmd)
	fs.StringVar(&drillNS, "drill-namespace", "", "scratch namespace in the DR cluster (default <DR namespace>-drill)")
	fs.BoolVar(&keep, "keep", false, "keep the scratch namespace after the drill")
	wf.registerTimeout(cmd)
	out.register(fs, "table", "json", "yaml")
	return cmd
}

// writeDrillTable prints a drill: one row per workload, then the RTO and the adaptations.
func writeDrillTable(w io.Writer, d drillOutput) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tREADY\tTIME TO READY\tMESSAGE")
	for _, r := range d.Workloads {
		ttr := "-"
		if r.TimeToReadySeconds != nil {
			ttr = fmt.Sprintf("%.1fs", *r.TimeToReadySeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", r.Kind, r.Name, r.Ready, ttr, oneLine(r.Message, 120))
	}
	_ = tw.Flush()
	verdict := "every workload ready"
	if !d.Ready {
		verdict = "NOT every workload came up"
		if len(d.Failed) > 0 {
			verdict = fmt.Sprintf("%d objects could not be created", len(d.Failed))
		}
	}
	fmt.Fprintf(w, "RTO %.1fs: %s (%d workloads)\n", d.RTOSeconds, verdict, len(d.Workloads))
	if len(d.Adapted) > 0 {
		fmt.Fprintln(w, "adapted for the drill:")
		for _, a := range d.Adapted {
			fmt.Fprintf(w, "  %s\n", a)
		}
	}
}
