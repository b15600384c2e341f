using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace Signaling.Server.Tests.TestSupport;

/// <summary>
/// Records every log event with all its properties: as a Serilog sink (the host logs through Serilog) and as an
/// <see cref="ILoggerProvider"/> (in case anything bypasses Serilog).
/// </summary>
public sealed class LogCapture : ILogEventSink, ILoggerProvider
{
    private static readonly JsonFormatter Formatter = new(renderMessage: true);
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public void Emit(LogEvent logEvent)
    {
        using var writer = new StringWriter();
        Formatter.Format(logEvent, writer);
        _lines.Enqueue("serilog " + writer);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            capture._lines.Enqueue($"mel-scope {category} {Describe(state)}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => capture._lines.Enqueue($"mel {logLevel} {category} {formatter(state, exception)} {Describe(state)} {exception}");

        private static string Describe(object? state) => state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}"))
            : state?.ToString() ?? string.Empty;
    }
}
