package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/clustercache"
	"github.com/dr-syncer/dr-syncer/internal/controller/namespacemapping"
	"github.com/dr-syncer/dr-syncer/internal/controller/parkingrule"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/kubeconfig"
	"github.com/dr-syncer/dr-syncer/internal/ops"
	"github.com/dr-syncer/dr-syncer/internal/transform"
	"github.com/dr-syncer/dr-syncer/internal/version"
)

const (
	// probeTimeout bounds the reachability check of a cluster a command cannot do without.
	probeTimeout = 10 * time.Second
	// cliMappingNamespace names the flag form's mappings: their ID is
	// cli.<source namespace>.<source cluster ID, 8 hex digits>.
	cliMappingNamespace = "cli"
	// defaultControllerNamespace is where status and trigger look unless told otherwise.
	defaultControllerNamespace = "dr-syncer-system"
)

// clusterFlags say which clusters and namespaces an operation works on: kubectl's flags per side
// (the flag form: --source-kubeconfig, --source-context, --source-as, ..., and --dest-*), or a
// NamespaceMapping in the controller's cluster (--mapping, that cluster reached with
// --kubeconfig, --context, --as, ...).
type clusterFlags struct {
	source, dest, controller       *kubeFlags
	sourceNamespace, destNamespace string
	mapping                        string
}

func (f *clusterFlags) register(cmd *cobra.Command) {
	f.source = newKubeFlags("source-", "source (production) cluster")
	f.dest = newKubeFlags("dest-", "destination (DR) cluster")
	f.controller = newKubeFlags("", "controller's cluster (with --mapping)")
	fs := cmd.Flags()
	f.source.register(fs)
	f.dest.register(fs)
	fs.StringVar(&f.sourceNamespace, "source-namespace", "", "namespace to replicate (required unless --mapping)")
	fs.StringVar(&f.destNamespace, "dest-namespace", "", "namespace in the destination cluster (default the source namespace's name)")
	fs.StringVar(&f.mapping, "mapping", "", "take clusters, namespaces and sync options from the NamespaceMapping NAMESPACE/NAME in the controller's cluster (instead of --source-*, --dest-* and the sync flags)")
	f.controller.register(fs)
	for _, k := range []*kubeFlags{f.source, f.dest, f.controller} {
		k.completeContexts(cmd)
	}
	completeMappings(cmd, "mapping", f.controller)
}

// flagFormFlags lists the flags of the flag form given on the command line.
func (f *clusterFlags) flagFormFlags(fs *pflag.FlagSet) []string {
	out := append(f.source.changed(fs), f.dest.changed(fs)...)
	for _, name := range []string{"source-namespace", "dest-namespace"} {
		if fs.Changed(name) {
			out = append(out, "--"+name)
		}
	}
	return out
}

// syncFlags are the NamespaceMapping spec fields a one-shot sync takes, under the same names.
type syncFlags struct {
	resourceTypes, excludeResourceTypes  []string
	selector                             string
	scaleToZero, prune, syncCRDs         bool
	parkNetworking                       bool
	conflictPolicy, immutableFieldPolicy string
	maxDeletePercent                     int32
	workers                              int
}

var specFlags = []string{"resource-types", "exclude-resource-types", "selector", "scale-to-zero", "park-networking", "prune", "sync-crds", "conflict-policy", "immutable-field-policy", "max-delete-percent"}

func (f *syncFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.resourceTypes, "resource-types", []string{"*"}, "types to sync: Kind, plural or plural.group, comma-separated; * means every namespaced type worth copying")
	fs.StringSliceVar(&f.excludeResourceTypes, "exclude-resource-types", nil, "types subtracted from --resource-types, same forms")
	fs.StringVarP(&f.selector, "selector", "l", "", "label selector of the source objects to sync (e.g. app=web,tier!=cache)")
	fs.BoolVar(&f.scaleToZero, "scale-to-zero", true, "park the replica kinds (Deployments, StatefulSets, ReplicaSets, ReplicationControllers, custom resources with a scale subresource) at 0 replicas in DR, recording the source count")
	fs.BoolVar(&f.parkNetworking, "park-networking", false, "park Ingresses (class dr-syncer-parked) and LoadBalancer Services (type ClusterIP) in DR too, and keep external-dns off them, until cutover restores them; cutover then waits for load balancers and DNS")
	fs.BoolVar(&f.prune, "prune", true, "delete DR copies whose source object is gone (never objects dr-syncer did not write)")
	fs.BoolVar(&f.syncCRDs, "sync-crds", false, "copy the CustomResourceDefinitions of synced custom types to DR first")
	fs.StringVar(&f.conflictPolicy, "conflict-policy", string(drv1.ConflictSkip), "DR objects dr-syncer did not write: Skip (report them) or Adopt (take them over)")
	fs.StringVar(&f.immutableFieldPolicy, "immutable-field-policy", string(drv1.ImmutableSkip), "updates that hit an immutable field: Skip (report) or Recreate (delete and re-create; never PVCs)")
	fs.Int32Var(&f.maxDeletePercent, "max-delete-percent", 50, "delete nothing when a prune would remove more than this share (and more than 10) of the managed objects")
	fs.IntVar(&f.workers, "workers", 16, "parallel writes")
}

// complete registers the completion of the enum flags: the values as the CRD spells them.
func (f *syncFlags) complete(cmd *cobra.Command) {
	for flag, values := range map[string][]string{
		"conflict-policy":        {string(drv1.ConflictSkip), string(drv1.ConflictAdopt)},
		"immutable-field-policy": {string(drv1.ImmutableSkip), string(drv1.ImmutableRecreate)},
	} {
		_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	}
}

// spec turns the flags into the NamespaceMapping spec they name.
func (f *syncFlags) spec() (drv1.NamespaceMappingSpec, error) {
	s := drv1.NamespaceMappingSpec{
		ResourceTypes: f.resourceTypes, ExcludeResourceTypes: f.excludeResourceTypes,
		ScaleToZero: &f.scaleToZero, SyncCRDs: f.syncCRDs, ParkNetworking: f.parkNetworking,
		Prune: drv1.PruneConfig{Enabled: &f.prune, MaxDeletePercent: &f.maxDeletePercent},
	}
	conflict, err := choice("conflict-policy", f.conflictPolicy, string(drv1.ConflictSkip), string(drv1.ConflictAdopt))
	if err != nil {
		return s, err
	}
	immutable, err := choice("immutable-field-policy", f.immutableFieldPolicy, string(drv1.ImmutableSkip), string(drv1.ImmutableRecreate))
	if err != nil {
		return s, err
	}
	s.ConflictPolicy, s.ImmutableFieldPolicy = drv1.ConflictPolicy(conflict), drv1.ImmutableFieldPolicy(immutable)
	if f.maxDeletePercent < 0 || f.maxDeletePercent > 100 {
		return s, fmt.Errorf("--max-delete-percent %d: want 0 to 100", f.maxDeletePercent)
	}
	if f.workers < 1 {
		return s, errors.New("--workers must be at least 1")
	}
	return s, nil
}

// choice returns v when it is one of allowed, spelled exactly as the CRD spells it (Adopt, not
// adopt), so that the command line and a NamespaceMapping take the same values.
func choice(flag, v string, allowed ...string) (string, error) {
	if slices.Contains(allowed, v) {
		return v, nil
	}
	return "", fmt.Errorf("--%s %q: want %s (spelled exactly so)", flag, v, strings.Join(allowed, " or "))
}

// labelSelector parses --selector with kubectl's syntax (=, ==, !=, in, notin, exists, !key);
// nil means everything.
func (f *syncFlags) labelSelector() (labels.Selector, error) {
	if f.selector == "" {
		return nil, nil
	}
	sel, err := labels.Parse(f.selector)
	if err != nil {
		return nil, fmt.Errorf("--selector %q: %w", f.selector, err)
	}
	return sel, nil
}

// resolveOptions say which clusters a command cannot do without.
type resolveOptions struct {
	// needSource: the command fails when the source does not answer (cutover does not).
	needSource bool
	// withMapping lists sync flags the command accepts together with --mapping.
	withMapping []string
}

// resolveScope checks the flags, builds the clients and the sync request. The destination (and,
// with needSource, the source) must answer within probeTimeout.
func resolveScope(ctx context.Context, cmd *cobra.Command, cf *clusterFlags, sf *syncFlags, o resolveOptions) (*ops.Scope, error) {
	fs := cmd.Flags()
	if cf.mapping != "" {
		given := cf.flagFormFlags(fs)
		for _, name := range specFlags {
			if fs.Changed(name) && !slices.Contains(o.withMapping, name) {
				given = append(given, "--"+name)
			}
		}
		if len(given) > 0 {
			return nil, fmt.Errorf("%s cannot be combined with --mapping: the mapping's spec says what to sync, so that the command line and the controller run the same sync; edit the mapping, or use the flag form (--source-context/--dest-context/--source-namespace) instead", given[0])
		}
		return resolveMapping(ctx, cf, sf, o)
	}
	if given := cf.controller.changed(fs); len(given) > 0 {
		return nil, fmt.Errorf("%s names the controller's cluster and needs --mapping NAMESPACE/NAME; without a mapping, give the clusters with --source-kubeconfig/--source-context and --dest-kubeconfig/--dest-context", given[0])
	}
	return resolveFlags(ctx, cf, sf, o)
}

// resolveFlags builds the scope of the flag form.
func resolveFlags(ctx context.Context, cf *clusterFlags, sf *syncFlags, o resolveOptions) (*ops.Scope, error) {
	if cf.sourceNamespace == "" {
		return nil, errors.New("--source-namespace is required (or name a NamespaceMapping with --mapping NAMESPACE/NAME)")
	}
	destNS := cf.destNamespace
	if destNS == "" {
		destNS = cf.sourceNamespace
	}
	spec, err := sf.spec()
	if err != nil {
		return nil, err
	}
	sel, err := sf.labelSelector()
	if err != nil {
		return nil, err
	}
	srcCfg, srcName, err := cf.source.load()
	if err != nil {
		return nil, err
	}
	dstCfg, dstName, err := cf.dest.load()
	if err != nil {
		return nil, err
	}
	if srcName == dstName {
		srcName, dstName = "source", "dest"
	}
	src, err := newHandle(srcName, srcCfg)
	if err != nil {
		return nil, err
	}
	dst, err := newHandle(dstName, dstCfg)
	if err != nil {
		return nil, err
	}
	if err := probe(ctx, dst, "destination", "--dest-kubeconfig/--dest-context"); err != nil {
		return nil, err
	}
	if o.needSource {
		if err := probe(ctx, src, "source", "--source-kubeconfig/--source-context"); err != nil {
			return nil, err
		}
	}
	spec.SourceNamespace, spec.DestinationNamespace = cf.sourceNamespace, destNS
	m := &drv1.NamespaceMapping{ObjectMeta: metav1.ObjectMeta{Namespace: cliMappingNamespace, Name: cf.sourceNamespace}, Spec: spec}
	req, err := namespacemapping.EngineRequest(m, src, dst, sf.workers)
	if err != nil {
		return nil, err
	}
	// The flag form's identity comes from the source alone, never from what it finds in DR: the
	// mapping ID cli.<source namespace>.<source cluster ID, 8 hex digits>, so it updates and
	// prunes only its own copies (not those of a same-named namespace of another cluster), and
	// reports another mapping's objects as conflicts.
	req.Transform.SourceCluster, req.Selector = srcName, sel
	if err := checkIdentity(ctx, src, cf.sourceNamespace, dst, destNS, o.needSource); err != nil {
		return nil, err
	}
	if id, err := sourceIDWithin(ctx, src); err == nil {
		req.Transform.MappingID = engine.MappingID(cliMappingNamespace, cf.sourceNamespace+"."+shortID(id))
	} else if o.needSource {
		return nil, err
	}
	return &ops.Scope{Source: src, Dest: dst, SourceNamespace: cf.sourceNamespace, DestNamespace: destNS, Sync: req}, nil
}

// sourceIDWithin reads the source cluster's identity within probeTimeout.
func sourceIDWithin(ctx context.Context, src *cluster.Handle) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return src.ID(ctx)
}

// shortID is the first 8 hex digits of a cluster ID (a UID), enough to tell clusters apart in
// a mapping ID.
func shortID(id string) string {
	id = strings.ReplaceAll(id, "-", "")
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// checkIdentity refuses a source and destination that are one namespace of one cluster, by
// cluster identity (the UID of kube-system), not by name or URL. A source that does not answer
// is no error unless needSource: cutover writes only DR then.
func checkIdentity(ctx context.Context, src *cluster.Handle, srcNS string, dst *cluster.Handle, dstNS string, needSource bool) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	err := engine.CheckIdentity(ctx, src, srcNS, dst, dstNS)
	switch {
	case engine.IsSameClusterAndNamespace(err):
		return fmt.Errorf("%w: pass --dest-context (or --dest-kubeconfig) for the DR cluster, or another --dest-namespace", err)
	case err != nil && needSource:
		return err
	}
	return nil
}

// resolveMapping builds the scope of a NamespaceMapping: the clusters come from its
// RemoteClusters' Secrets, checked like the controller checks them.
func resolveMapping(ctx context.Context, cf *clusterFlags, sf *syncFlags, o resolveOptions) (*ops.Scope, error) {
	key, err := parseMappingRef(cf.mapping, "")
	if err != nil {
		return nil, fmt.Errorf("--mapping: %w", err)
	}
	if sf.workers < 1 {
		return nil, errors.New("--workers must be at least 1")
	}
	local, err := controllerHandle(ctx, cf.controller, " (when the controller's cluster is down, use the flag form: --source-context/--dest-context/--source-namespace)")
	if err != nil {
		return nil, err
	}
	m, err := ops.GetMapping(ctx, local.Client, key)
	if err != nil {
		return nil, err
	}
	src := local
	if m.Spec.SourceCluster != "" {
		if src, err = remoteHandle(ctx, local.Client, m.Namespace, m.Spec.SourceCluster, "sourceCluster", key); err != nil {
			return nil, err
		}
	}
	dst, err := remoteHandle(ctx, local.Client, m.Namespace, m.Spec.DestinationCluster, "destinationCluster", key)
	if err != nil {
		return nil, err
	}
	if err := probe(ctx, dst, "destination", "RemoteCluster "+m.Namespace+"/"+m.Spec.DestinationCluster); err != nil {
		return nil, err
	}
	if o.needSource && src != local {
		if err := probe(ctx, src, "source", "RemoteCluster "+m.Namespace+"/"+m.Spec.SourceCluster); err != nil {
			return nil, err
		}
	}
	req, err := namespacemapping.EngineRequest(m, src, dst, sf.workers)
	if err != nil {
		return nil, fmt.Errorf("NamespaceMapping %s: %w", key, err)
	}
	if req.Transform.Rules, err = parkingrule.InForce(ctx, local.Client, m.Namespace); err != nil {
		return nil, err
	}
	if err := engine.CheckIdentity(ctx, src, m.Spec.SourceNamespace, dst, m.Spec.DestNamespace()); engine.IsSameClusterAndNamespace(err) {
		return nil, fmt.Errorf("NamespaceMapping %s: %w", key, err)
	}
	into, err := ops.MappingsInto(ctx, local.Client, m.Namespace, m.Spec.DestinationCluster, m.Spec.DestNamespace())
	if err != nil {
		return nil, err
	}
	s := &ops.Scope{Source: src, Dest: dst, SourceNamespace: m.Spec.SourceNamespace, DestNamespace: m.Spec.DestNamespace(),
		Sync: req, Controller: local.Client}
	for _, other := range into {
		s.Mappings = append(s.Mappings, types.NamespacedName{Namespace: other.Namespace, Name: other.Name})
		s.MappingIDs = append(s.MappingIDs, engine.MappingID(other.Namespace, other.Name))
	}
	return s, nil
}

// parseMappingRef reads NAMESPACE/NAME, or NAME in defaultNamespace when that is set.
func parseMappingRef(ref, defaultNamespace string) (types.NamespacedName, error) {
	ns, name, found := strings.Cut(ref, "/")
	if !found {
		if defaultNamespace == "" {
			return types.NamespacedName{}, fmt.Errorf("%q: want NAMESPACE/NAME, e.g. dr-syncer-system/shop", ref)
		}
		ns, name = defaultNamespace, ref
	}
	if ns == "" || name == "" || strings.Contains(name, "/") {
		return types.NamespacedName{}, fmt.Errorf("%q: want NAMESPACE/NAME, e.g. dr-syncer-system/shop", ref)
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}

// remoteHandle builds the clients of a RemoteCluster from its kubeconfig Secret, with the same
// checks (kubeconfig.Load, strict policy), rate limits and timeout as the controller.
func remoteHandle(ctx context.Context, c client.Client, namespace, name, field string, mapping types.NamespacedName) (*cluster.Handle, error) {
	rc := &drv1.RemoteCluster{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, rc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("RemoteCluster %s/%s (spec.%s of NamespaceMapping %s) does not exist: create it, or fix the mapping", namespace, name, field, mapping)
		}
		return nil, fmt.Errorf("reading RemoteCluster %s/%s: %w", namespace, name, err)
	}
	ref := rc.Spec.KubeconfigSecretRef
	keyName := ref.Key
	if keyName == "" {
		keyName = "kubeconfig"
	}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("Secret %s/%s named by RemoteCluster %s does not exist: create it with the cluster's kubeconfig under key %q", namespace, ref.Name, name, keyName)
		}
		return nil, fmt.Errorf("reading Secret %s/%s of RemoteCluster %s (your user needs get on Secrets in %s): %w", namespace, ref.Name, name, namespace, err)
	}
	data, ok := secret.Data[keyName]
	if !ok {
		return nil, fmt.Errorf("Secret %s/%s of RemoteCluster %s has no key %q: add the kubeconfig under that key or set spec.kubeconfigSecretRef.key", namespace, ref.Name, name, keyName)
	}
	cfg, err := kubeconfig.Load(data, rc.Spec.Context, kubeconfig.Policy{})
	if err != nil {
		return nil, fmt.Errorf("kubeconfig in Secret %s/%s of RemoteCluster %s: %w", namespace, ref.Name, name, err)
	}
	clustercache.SetRateLimit(cfg, rc.Spec.QPS, rc.Spec.Burst)
	return newHandle(name, cfg)
}

// controllerHandle connects to the controller's cluster (in-cluster when no kubeconfig,
// context, cluster or user is given and the command runs in a pod) and checks that it answers;
// hint is added to the error when it does not.
func controllerHandle(ctx context.Context, k *kubeFlags, hint string) (*cluster.Handle, error) {
	cfg, ok, err := k.inCluster()
	if err != nil {
		return nil, err
	}
	if !ok {
		if cfg, _, err = k.load(); err != nil {
			return nil, err
		}
	}
	h, err := newHandle(transform.LocalCluster, cfg)
	if err != nil {
		return nil, err
	}
	if err := probe(ctx, h, "controller's", "--kubeconfig/--context"); err != nil {
		return nil, fmt.Errorf("%w%s", err, hint)
	}
	return h, nil
}

// newHandle builds the clients of a cluster for the command line: no client-side rate limit
// unless cfg sets one (a RemoteCluster's qps), the controller's request timeout, and API server
// warnings printed to standard error as kubectl prints them.
func newHandle(name string, cfg *rest.Config) (*cluster.Handle, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 && cfg.RateLimiter == nil {
		cfg.QPS = -1 // no client-side limit unless the kubeconfig or RemoteCluster sets one
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = clustercache.RequestTimeout
	}
	cfg.UserAgent = "dr-syncer-cli/" + version.Version
	cfg.WarningHandler = rest.NewWarningWriter(os.Stderr, rest.WarningWriterOptions{Deduplicate: true})
	return cluster.New(name, cfg)
}

// probe fails with advice when a cluster does not answer.
func probe(ctx context.Context, h *cluster.Handle, role, flags string) error {
	if err := ops.Probe(ctx, h, probeTimeout); err != nil {
		return fmt.Errorf("the %s cluster does not answer: %w; check %s, the network path and that the API server is up", role, err, flags)
	}
	return nil
}
