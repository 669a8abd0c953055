package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/dr-syncer/dr-syncer/internal/controller"
)

type controllerFlags struct {
	kubeconfig, namespace    string
	metricsAddr, probeAddr   string
	leaderElect              bool
	logLevel, logFormat      string
	allowExec, allowInsecure bool
	workers                  int
}

func newControllerCommand() *cobra.Command {
	f := controllerFlags{}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the dr-syncer controller",
		Long: `Run the controller that reconciles RemoteClusters and NamespaceMappings in one namespace.
RemoteClusters and NamespaceMappings in other namespaces are ignored.`,
		Example: `  # in a pod: in-cluster config, namespace from $POD_NAMESPACE, leader election on
  dr-syncer controller --leader-elect

  # on a workstation against a test cluster
  dr-syncer controller --kubeconfig ~/.kube/prod --namespace dr-syncer-system --log-format text`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(f.logLevel, f.logFormat)
			if err != nil {
				return err
			}
			ctrl.SetLogger(log)
			if f.workers < 1 {
				return errors.New("--workers must be at least 1")
			}
			cfg, err := restConfig(f.kubeconfig, "")
			if err != nil {
				return err
			}
			return controller.Run(cmd.Context(), cfg, controller.Options{
				Namespace:              f.namespace,
				MetricsBindAddress:     f.metricsAddr,
				HealthProbeBindAddress: f.probeAddr,
				LeaderElection:         f.leaderElect,
				AllowKubeconfigExec:    f.allowExec,
				AllowInsecureTLS:       f.allowInsecure,
				ApplyWorkers:           f.workers,
			})
		},
	}
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = "dr-syncer-system"
	}
	fs := cmd.Flags()
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster the controller runs against (default: in-cluster, else $KUBECONFIG)")
	fs.StringVar(&f.namespace, "namespace", ns, "the one namespace whose RemoteClusters and NamespaceMappings are served (default $POD_NAMESPACE, else dr-syncer-system)")
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus /metrics endpoint; 0 disables it")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints")
	fs.BoolVar(&f.leaderElect, "leader-elect", false, "elect a leader through a Lease so that only one replica syncs")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: error, warn, info, debug, or a verbosity number")
	fs.StringVar(&f.logFormat, "log-format", "json", "log format: json or text")
	fs.BoolVar(&f.allowExec, "allow-kubeconfig-exec", false, "accept exec and auth-provider users in RemoteCluster kubeconfigs (runs programs named by Secret content)")
	fs.BoolVar(&f.allowInsecure, "allow-insecure-tls", false, "accept insecure-skip-tls-verify in RemoteCluster kubeconfigs")
	fs.IntVar(&f.workers, "workers", 16, "parallel writes per sync")
	return cmd
}
