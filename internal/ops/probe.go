package ops

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/dr-syncer/dr-syncer/internal/cluster"
)

// Probe asks a cluster's API server for /version within timeout. The error says which server
// did not answer and how.
func Probe(ctx context.Context, h *cluster.Handle, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := h.Discovery.RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	switch {
	case err == nil:
		return nil
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("cluster %s (%s) refused the credentials (HTTP 401): the token or client certificate is wrong or expired", h.Name, h.Config.Host)
	case apierrors.IsForbidden(err):
		// Authenticated: the server is up, the user may just not read /version.
		return nil
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("cluster %s (%s) did not answer within %s", h.Name, h.Config.Host, timeout)
	default:
		return fmt.Errorf("cannot reach cluster %s (%s): %w", h.Name, h.Config.Host, err)
	}
}
