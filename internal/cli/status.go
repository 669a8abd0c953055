package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/ops"
)

// controllerClusterFlags reach the cluster the controller runs in (status, trigger).
type controllerClusterFlags struct {
	cluster   *kubeFlags
	namespace string
}

func (f *controllerClusterFlags) register(cmd *cobra.Command) {
	f.cluster = newKubeFlags("", "controller's cluster")
	f.cluster.register(cmd.Flags())
	f.cluster.completeContexts(cmd)
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", defaultControllerNamespace, "namespace of the NamespaceMappings and RemoteClusters")
}

// client connects to the controller's cluster and checks that it answers.
func (f *controllerClusterFlags) client(ctx context.Context) (client.Client, error) {
	h, err := controllerHandle(ctx, f.cluster, "")
	if err != nil {
		return nil, err
	}
	return h.Client, nil
}

func newStatusCommand() *cobra.Command {
	var (
		cf       controllerClusterFlags
		out      printFlags
		all      bool
		watch    bool
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the NamespaceMappings and RemoteClusters and how far behind DR is",
		Long: `Show every NamespaceMapping (source → destination, mode, phase, last successful sync and its
age, which is the current recovery point objective (RPO), next sync, what the last sync did,
and its Ready message) and every RemoteCluster (ready, Kubernetes version, last probe) of the
controller's namespace.

--watch redraws the tables every --interval until interrupted.`,
		Example: `  dr-syncer status
  dr-syncer status --context mgmt --namespace dr-syncer-system --watch
  dr-syncer status -A -o json | jq '.namespaceMappings[] | select(.rpoSeconds > 900) | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if interval < time.Second {
				return fmt.Errorf("--interval %s: want at least 1s", interval)
			}
			ctx := cmd.Context()
			c, err := cf.client(ctx)
			if err != nil {
				return err
			}
			ns := cf.namespace
			if all {
				ns = ""
			}
			w := cmd.OutOrStdout()
			tty := false
			if f, ok := w.(*os.File); ok {
				tty = term.IsTerminal(int(f.Fd()))
			}
			render := func(st *ops.Status, first bool) error {
				if watch && tty {
					fmt.Fprint(w, "\x1b[H\x1b[2J") // clear the screen
				}
				switch {
				case out.table():
					if watch && !first && !tty {
						fmt.Fprintln(w)
					}
					return writeStatusTables(w, st, all, &out)
				case out.format == "name":
					return printNames(w, statusNames(st))
				case watch && out.format == "yaml" && !first:
					fmt.Fprintln(w, "---")
				}
				return out.printData(w, st)
			}
			for first := true; ; first = false {
				st, err := ops.CollectStatus(ctx, c, ns, time.Now())
				if ctx.Err() != nil {
					return nil // interrupted
				}
				if err == nil {
					err = render(st, first)
				}
				if !watch {
					return err
				}
				if err != nil {
					// A watch rides out a blip of the API server.
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", time.Now().Format(time.TimeOnly), err)
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	cf.register(cmd)
	out.register(cmd)
	fs.BoolVarP(&all, "all-namespaces", "A", false, "show the NamespaceMappings and RemoteClusters of every namespace")
	fs.BoolVarP(&watch, "watch", "w", false, "redraw every --interval until interrupted")
	fs.DurationVar(&interval, "interval", 5*time.Second, "how often --watch redraws")
	return cmd
}

// writeStatusTables prints the NamespaceMapping and RemoteCluster tables; wide adds the last
// sync of any outcome, since when the DR namespace is live, and whole messages.
func writeStatusTables(w io.Writer, st *ops.Status, withNamespace bool, pf *printFlags) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	wide := pf.wide()
	row := func(ns string, cols ...string) {
		if withNamespace {
			cols = append([]string{ns}, cols...)
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	header := func(cols ...string) {
		if !pf.noHeaders {
			row("NAMESPACE", cols...)
		}
	}
	msgLen := 120
	if wide {
		msgLen = 4096
	}
	if wide {
		header("NAMESPACEMAPPING", "SOURCE → DESTINATION", "MODE", "PHASE", "LAST SUCCESSFUL SYNC", "RPO", "LAST SYNC", "LIVE SINCE", "NEXT SYNC", "OBJECTS", "CHANGED", "CONFLICTS", "FAILED", "READY", "REASON", "MESSAGE")
	} else {
		header("NAMESPACEMAPPING", "SOURCE → DESTINATION", "MODE", "PHASE", "LAST SUCCESSFUL SYNC", "RPO", "NEXT SYNC", "OBJECTS", "CHANGED", "CONFLICTS", "FAILED", "READY", "MESSAGE")
	}
	if len(st.Mappings) == 0 && !pf.noHeaders {
		row("-", "(none)")
	}
	for _, m := range st.Mappings {
		phase := m.Phase
		if phase == "" {
			phase = "-"
		}
		last, rpo := "never", "-"
		if m.LastSuccessfulSync != nil {
			last = m.LastSuccessfulSync.Format(time.RFC3339)
			rpo = duration.HumanDuration(time.Duration(*m.RPOSeconds) * time.Second)
		}
		next := "-"
		switch {
		case m.LiveSince != nil:
			next = "live"
		case m.Paused:
			next = "paused"
		case m.NextSync != nil && m.NextSync.After(st.Time):
			next = "in " + duration.HumanDuration(m.NextSync.Sub(st.Time))
		case m.NextSync != nil:
			next = "due"
		case m.Mode == "Manual":
			next = "on request"
		}
		objects, changed, conflicts, failed := "-", "-", "-", "-"
		if s := m.Stats; s != nil {
			objects, changed = fmt.Sprint(s.Total), fmt.Sprint(s.Created+s.Updated+s.Deleted)
			conflicts, failed = fmt.Sprint(s.Conflicts), fmt.Sprint(s.Failed)
		}
		cols := []string{m.Name, m.Source + " → " + m.Destination, m.Mode, phase, last, rpo}
		if wide {
			cols = append(cols, timeOrDash(m.LastSync), timeOrDash(m.LiveSince))
		}
		cols = append(cols, next, objects, changed, conflicts, failed, m.Ready)
		if wide {
			cols = append(cols, orDash(m.Reason))
		}
		row(m.Namespace, append(cols, oneLine(m.Message, msgLen))...)
	}
	if !pf.noHeaders {
		fmt.Fprintln(tw)
	}
	header("REMOTECLUSTER", "READY", "VERSION", "LAST PROBE", "MESSAGE")
	if len(st.RemoteClusters) == 0 && !pf.noHeaders {
		row("-", "(none)")
	}
	for _, rc := range st.RemoteClusters {
		probed := "never"
		if rc.LastProbe != nil {
			probed = duration.HumanDuration(st.Time.Sub(*rc.LastProbe)) + " ago"
		}
		row(rc.Namespace, rc.Name, rc.Ready, orDash(rc.Version), probed, oneLine(rc.Message, msgLen))
	}
	return tw.Flush()
}

// statusNames are the objects status shows, for -o name.
func statusNames(st *ops.Status) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	gv := drv1.GroupVersion.String()
	for _, m := range st.Mappings {
		out = append(out, nameOnly(gv, "NamespaceMapping", m.Name))
	}
	for _, rc := range st.RemoteClusters {
		out = append(out, nameOnly(gv, "RemoteCluster", rc.Name))
	}
	return out
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
