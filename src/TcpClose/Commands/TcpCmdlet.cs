using System;
using System.Threading;
using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>
    /// The base of every TcpClose cmdlet: turns the core's <see cref="TcpCloseException"/> into an
    /// ErrorRecord whose id, category and target come from the core, so the FullyQualifiedErrorId
    /// reads <c>AddressInUse,TcpClose.Commands.StartTcpListenerCommand</c> (PowerShell appends the
    /// command class itself).
    /// </summary>
    public abstract class TcpCmdlet : PSCmdlet
    {
        /// <summary>TcpErrorCategory shares ErrorCategory's numbers (a contract test checks it), hence the cast.</summary>
        protected static ErrorRecord ToErrorRecord(TcpCloseException exception) =>
            new ErrorRecord(exception, exception.ErrorId, (ErrorCategory)(int)exception.Category, exception.Target);

        /// <summary>A per-item failure: reported, and the pipeline goes on.</summary>
        protected void WriteTcpError(TcpCloseException exception) => WriteError(ToErrorRecord(exception));

        /// <summary>The command as a whole cannot run.</summary>
        protected void ThrowTcpError(TcpCloseException exception) => ThrowTerminatingError(ToErrorRecord(exception));

        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();

        /// <summary>Cancelled when the user presses Ctrl+C: every blocking core call takes it.</summary>
        protected CancellationToken StopToken => _stopping.Token;

        protected override void StopProcessing() => _stopping.Cancel();

        /// <summary>-Timeout seconds to the core's TimeSpan, never throwing (the core validates).</summary>
        protected static TimeSpan ToTimeout(double seconds) => Seconds.ToTimeSpan(seconds);
    }
}
