// Package ops carries out the disaster-day operations of the command line: cutover (bring a DR
// namespace live), failback (park it again and return to the source), trigger and status.
package ops

import (
	"io"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/engine"
)

// AnnotationLiveSince marks a DR namespace brought live by cutover (see drv1.AnnotationLiveSince).
const AnnotationLiveSince = drv1.AnnotationLiveSince

// DefaultSourceTimeout bounds the reachability probe of the source cluster: on the day of a
// disaster the source may not answer at all.
const DefaultSourceTimeout = 5 * time.Second

// Scope is one DR namespace and the source namespace it replicates.
type Scope struct {
	// Source may be unreachable; Dest must be reachable.
	Source, Dest                   *cluster.Handle
	SourceNamespace, DestNamespace string
	// Sync is the forward sync request: the final sync of a cutover and, reversed, the reverse
	// sync of a failback. Cutover parks every source workload that has a DR copy, whatever
	// the Selector says now.
	Sync engine.Request
	// MappingIDs select the DR objects acted on by their dr-syncer.io/mapping label; empty
	// means every object dr-syncer wrote into the DR namespace.
	MappingIDs []string
	// Controller is a client of the controller's cluster and Mappings the NamespaceMappings
	// that write into the DR namespace; both empty when the clusters were given by kubeconfig.
	Controller client.Client
	Mappings   []types.NamespacedName
}

// gate returns the engine's write gate for the scope (identity not yet checked: engine.NewGate).
func (s *Scope) gate() *engine.Gate {
	return &engine.Gate{Source: s.Source, Dest: s.Dest, SourceNamespace: s.SourceNamespace, DestNamespace: s.DestNamespace, MappingIDs: s.MappingIDs}
}

// drSelector selects the DR objects of the scope.
func (s *Scope) drSelector() labels.Selector {
	op, values := selection.Exists, []string(nil)
	if len(s.MappingIDs) > 0 {
		op, values = selection.In, s.MappingIDs
	}
	req, err := labels.NewRequirement(drv1.LabelMapping, op, values)
	if err != nil {
		// Mapping IDs are label values by construction (engine.MappingID).
		panic(err)
	}
	return labels.NewSelector().Add(*req)
}

// sourceSelector is the sync's selector of source objects (everything when nil).
func (s *Scope) sourceSelector() labels.Selector {
	if s.Sync.Selector == nil {
		return labels.Everything()
	}
	return s.Sync.Selector
}

// Where names the source and the DR namespace for messages: "prod/shop → dr/shop".
func (s *Scope) Where() string {
	return s.Source.Name + "/" + s.SourceNamespace + " → " + s.Dest.Name + "/" + s.DestNamespace
}

// Options tune Cutover and Failback.
type Options struct {
	// DryRun prints the steps and writes nothing.
	DryRun bool
	// NoSync skips the final sync of a cutover.
	NoSync bool
	// Prune lets the final sync of a cutover delete DR copies whose source is gone.
	Prune bool
	// ReverseSync copies DR back to the source before a failback.
	ReverseSync bool
	// SourceTimeout bounds the source reachability probe; 0 means DefaultSourceTimeout.
	SourceTimeout time.Duration
	// Out receives one line per step and per change.
	Out io.Writer
	// SyncProgress, when set, is called with the request of a final or reverse sync before it
	// runs, so the caller can attach progress reporting; the returned func runs after the sync.
	SyncProgress func(*engine.Request) (done func())
}

func (o Options) sourceTimeout() time.Duration {
	if o.SourceTimeout <= 0 {
		return DefaultSourceTimeout
	}
	return o.SourceTimeout
}

// Report is the outcome of a cutover or failback.
type Report struct {
	// Changes counts the writes made (with DryRun: the writes that would be made).
	Changes int
	// Warnings are the steps skipped or left incomplete.
	Warnings []string
	// Activated are the DR workloads a cutover activated (or found active), for WaitReady.
	Activated []WorkloadRef
}

// mappingNames lists mappings as "ns/name, ns/name".
func mappingNames(ms []types.NamespacedName) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.String()
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
