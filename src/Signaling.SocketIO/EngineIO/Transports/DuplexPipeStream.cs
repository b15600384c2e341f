using System.Buffers;
using System.IO.Pipelines;

namespace Signaling.SocketIO.EngineIO.Transports;

/// <summary>
/// A connection's pipes as the stream <see cref="System.Net.WebSockets.WebSocket.CreateFromStream(Stream, System.Net.WebSockets.WebSocketCreationOptions)"/>
/// frames over. Zero-byte reads wait for data without consuming any (the WebSocket's idle wait). Disposing it
/// releases a pending read or flush, which is how an aborted WebSocket stops its loops; the connection itself
/// belongs to the caller.
/// </summary>
internal sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
{
    private int _disposed;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var input = pipe.Input;
        var result = await input.ReadAsync(cancellationToken);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The connection's read was cancelled.");
        }

        var data = result.Buffer;
        var consumed = data.Start;
        try
        {
            if (!data.IsEmpty)
            {
                var count = (int)Math.Min(data.Length, buffer.Length);
                var slice = data.Slice(0, count);
                slice.CopyTo(buffer.Span);
                consumed = slice.End;
                return count;
            }

            return 0;
        }
        finally
        {
            input.AdvanceTo(consumed);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var result = await pipe.Output.WriteAsync(buffer, cancellationToken);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The connection's write was cancelled.");
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        var result = await pipe.Output.FlushAsync(cancellationToken);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The connection's write was cancelled.");
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            pipe.Input.CancelPendingRead();
            pipe.Output.CancelPendingFlush();
        }

        base.Dispose(disposing);
    }
}
