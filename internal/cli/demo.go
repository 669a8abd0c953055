package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dr-syncer/dr-syncer/internal/demo"
)

func newDemoCommand() *cobra.Command {
	var assetsDir string
	var check, disasterDay bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try dr-syncer on two local control planes, no cluster needed",
		Long: `Start two local Kubernetes clusters, "prod" and "dr" (kube-apiserver, etcd, kube-controller-manager,
kube-scheduler, and kwok simulating 2 nodes each: Pods are scheduled and become Ready, no container
runs), run the controller in this process against prod, and replicate a sample application:

  1. a RemoteCluster "dr" in namespace dr-syncer-system, with dr's kubeconfig in a Secret;
  2. namespace "shop" in prod: a Deployment with 3 replicas, a Service, an Ingress, a ConfigMap,
     a Secret and a CronJob;
  3. a Continuous NamespaceMapping that copies "shop" to dr as a parked standby (Deployment at
     0 replicas, CronJob suspended): the app's 3 Pods run in prod, none in dr;
  4. a change to the ConfigMap in prod, timed until dr has it.

With --disaster-day the demo then plays the disaster: prod (and the controller in it) stops,
"dr-syncer cutover" brings dr live from dr alone, and the demo waits until dr serves the app (3
ready Pods behind the Service).

Then a small table shows the mapping's phase and counts and the Pods of "shop" in each cluster,
redrawn every second, and the ConfigMap is changed again every 10 seconds (not after a disaster
day: prod is gone). The kubeconfigs of both clusters are written to a temporary folder (printed)
so that you can look around with kubectl. Ctrl-C stops the controller and both clusters and
removes the folder.

--check runs the same story without the live table, prints every step as ✓ or ✗, and exits 0
only if every step was verified.

kube-apiserver, etcd, kube-controller-manager and kube-scheduler ` + demo.KubeVersion + `, and kwok, come
from --assets-dir; without it from $KUBEBUILDER_ASSETS, else
${XDG_CACHE_HOME:-$HOME/.cache}/dr-syncer/k8s-` + demo.KubeVersion + `, where ` + "`make testbin`" + ` builds them.`,
		Example: `  # from a checkout: build everything and run the demo
  make demo

  # with the binaries already built
  dr-syncer demo --assets-dir ~/.cache/dr-syncer/k8s-` + demo.KubeVersion + `

  # while it runs, in another terminal (the demo prints the folder)
  kubectl --kubeconfig /tmp/dr-syncer-demo-123/prod.kubeconfig get nsmap -A
  kubectl --kubeconfig /tmp/dr-syncer-demo-123/dr.kubeconfig -n shop get deploy,cronjob

  # verify the whole story non-interactively (exit code 0 when every step passed)
  dr-syncer demo --check

  # lose prod, cut over, and watch dr serve the app
  dr-syncer demo --disaster-day`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if assetsDir == "" {
				assetsDir = demo.DefaultAssetsDir()
			}
			if err := demo.CheckAssets(assetsDir); err != nil {
				return err
			}
			// Closing the terminal or the reading end of a pipe must stop the control planes too:
			// they run in process groups of their own and would outlive the demo.
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGHUP, syscall.SIGPIPE)
			defer stop()
			w := cmd.OutOrStdout()
			tty := false
			if f, ok := w.(*os.File); ok {
				tty = term.IsTerminal(int(f.Fd()))
			}
			return demo.Run(ctx, demo.Options{AssetsDir: assetsDir, Check: check, Out: w, TTY: tty,
				DisasterDay: disasterDay, Cutover: runCommand})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&assetsDir, "assets-dir", "", "directory holding kube-apiserver, etcd, kube-controller-manager, kube-scheduler and kwok (default $KUBEBUILDER_ASSETS, else ${XDG_CACHE_HOME:-$HOME/.cache}/dr-syncer/k8s-"+demo.KubeVersion+")")
	fs.BoolVar(&check, "check", false, "run the story once without the live table, verify every step and exit 0 only if all passed")
	fs.BoolVar(&disasterDay, "disaster-day", false, "after the standby checks, stop prod, cut over to dr and show dr serving the app")
	return cmd
}

// runCommand runs a dr-syncer command line in this process, its output to out: how the demo
// runs the real cutover.
func runCommand(ctx context.Context, out io.Writer, args ...string) error {
	root := NewRootCommand()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(out)
	return root.ExecuteContext(ctx)
}
