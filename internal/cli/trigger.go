package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/ops"
)

// triggerResult is the machine-readable outcome of trigger --wait.
type triggerResult struct {
	Request         string                `json:"request"`
	Mapping         ops.MappingStatus     `json:"namespaceMapping"`
	FailedResources []drv1.FailedResource `json:"failedResources,omitempty"`
}

func newTriggerCommand() *cobra.Command {
	var (
		cf      controllerClusterFlags
		out     outputFlag
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "trigger NAME",
		Short: "Ask the controller to sync a NamespaceMapping now",
		Long: `Set a new value of the dr-syncer.io/sync-now annotation on a NamespaceMapping; the controller
runs exactly one sync for each new value, whatever the mapping's mode.

With --wait, wait until the controller has handled that request and the sync has finished, then
print its result. Exit status: 0 = synced (conflicts included), 1 = the sync failed, the
mapping is paused, or --timeout passed.`,
		Example: `  dr-syncer trigger shop
  dr-syncer trigger shop --namespace dr-syncer-system --wait --timeout 5m
  dr-syncer trigger dr-syncer-system/shop --wait -o json`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return mappingNames(cf.cluster, cf.namespace)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check("table", "json", "yaml"); err != nil {
				return err
			}
			key, err := parseMappingRef(args[0], cf.namespace)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := cf.client(ctx)
			if err != nil {
				return err
			}
			value, err := ops.Trigger(ctx, c, key, time.Now())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if !wait {
				if out.format != "table" {
					return writeStructured(w, out.format, map[string]string{"request": value})
				}
				_, err := fmt.Fprintf(w, "requested a sync of NamespaceMapping %s (%s=%s); follow it with `dr-syncer status -n %s`\n",
					key, drv1.AnnotationSyncNow, value, key.Namespace)
				return err
			}
			if out.format == "table" {
				fmt.Fprintf(w, "requested a sync of NamespaceMapping %s; waiting up to %s for it to finish\n", key, timeout)
			}
			m, err := ops.WaitForSync(ctx, c, key, value, timeout)
			if err != nil {
				return err
			}
			res := triggerResult{Request: value, Mapping: ops.CollectMapping(m, time.Now()), FailedResources: m.Status.FailedResources}
			if out.format == "table" {
				err = writeTriggerResult(w, &res)
			} else {
				err = writeStructured(w, out.format, res)
			}
			if err != nil {
				return err
			}
			if m.Status.Phase == drv1.PhaseFailed {
				return fmt.Errorf("the sync of NamespaceMapping %s failed: %s", key, res.Mapping.Message)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	cf.register(cmd)
	out.register(fs, "table", "json", "yaml")
	fs.BoolVar(&wait, "wait", false, "wait for the sync to finish and print its result")
	fs.DurationVar(&timeout, "timeout", 10*time.Minute, "with --wait: how long to wait")
	return cmd
}

func writeTriggerResult(w io.Writer, r *triggerResult) error {
	m := r.Mapping
	fmt.Fprintf(w, "NamespaceMapping %s/%s: phase %s, Ready=%s (%s)\n", m.Namespace, m.Name, m.Phase, m.Ready, m.Reason)
	if m.Message != "" {
		fmt.Fprintf(w, "%s\n", m.Message)
	}
	if len(r.FailedResources) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tREASON\tMESSAGE")
	for _, f := range r.FailedResources {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Kind, f.Name, f.Reason, oneLine(f.Message, 160))
	}
	return tw.Flush()
}
