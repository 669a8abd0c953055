package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// newLogger builds the process logger. Levels: error, info, debug, or a number (higher = more).
func newLogger(level, format string) (logr.Logger, error) {
	var lvl zapcore.Level
	switch strings.ToLower(level) {
	case "error":
		lvl = zapcore.ErrorLevel
	case "warn", "warning":
		lvl = zapcore.WarnLevel
	case "info", "":
		lvl = zapcore.InfoLevel
	case "debug":
		lvl = zapcore.DebugLevel
	default:
		n, err := strconv.Atoi(level)
		if err != nil || n < 0 {
			return logr.Logger{}, fmt.Errorf("--log-level %q: want error, warn, info, debug or a verbosity number >= 0", level)
		}
		lvl = zapcore.Level(-n)
	}
	var dev bool
	switch format {
	case "json":
	case "text":
		dev = true
	default:
		return logr.Logger{}, fmt.Errorf("--log-format %q: want json or text", format)
	}
	return zap.New(zap.Level(lvl), zap.UseDevMode(dev), func(o *zap.Options) {
		if dev {
			o.StacktraceLevel = zapcore.PanicLevel
		}
	}), nil
}
