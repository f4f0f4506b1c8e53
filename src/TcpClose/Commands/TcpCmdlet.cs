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

        /// <summary>
        /// Writes an object; one made in another network namespace gets the type name
        /// TcpClose.&lt;Type&gt;#NetworkNamespace first, whose view groups rows under their namespace
        /// (TcpClose.Format.ps1xml). Hides Cmdlet.WriteObject for every TcpClose cmdlet.
        /// </summary>
        protected new void WriteObject(object sendToPipeline)
        {
            if (sendToPipeline is INetworkNamespaceBound bound && bound.NetworkNamespace != null)
            {
                var wrapped = PSObject.AsPSObject(sendToPipeline);
                string grouped = sendToPipeline.GetType().FullName + "#NetworkNamespace";
                // A listener written again (Get-TcpListener) keeps the name it was given the first time.
                if (wrapped.TypeNames.Count == 0 || wrapped.TypeNames[0] != grouped)
                {
                    wrapped.TypeNames.Insert(0, grouped);
                }

                sendToPipeline = wrapped;
            }

            base.WriteObject(sendToPipeline);
        }

        /// <summary>As <see cref="WriteObject(object)"/>, a collection's items one by one when <paramref name="enumerateCollection"/>.</summary>
        protected new void WriteObject(object sendToPipeline, bool enumerateCollection)
        {
            if (enumerateCollection && sendToPipeline is System.Collections.IEnumerable items && !(sendToPipeline is string))
            {
                foreach (object item in items)
                {
                    WriteObject(item);
                }

                return;
            }

            WriteObject(sendToPipeline);
        }

        /// <summary>A per-item failure: reported, and the pipeline goes on.</summary>
        protected void WriteTcpError(TcpCloseException exception) => WriteError(ToErrorRecord(exception));

        /// <summary>The command as a whole cannot run.</summary>
        protected void ThrowTcpError(TcpCloseException exception) => ThrowTerminatingError(ToErrorRecord(exception));

        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();

        /// <summary>Cancelled when the user presses Ctrl+C: every blocking core call takes it.</summary>
        protected CancellationToken StopToken => _stopping.Token;

        protected override void StopProcessing() => _stopping.Cancel();

        /// <summary>
        /// -NetworkNamespace as given (null or absent: the caller's own). A namespace that is not there
        /// (NetworkNamespaceNotFound) is reported and this input skipped, so a pipeline of namespaces
        /// goes on past one that went away; text of no namespace form, PermissionDenied and
        /// PlatformNotSupported stop the command before anything is read.
        /// </summary>
        protected bool TryResolveNamespace(string text, out NetworkNamespace ns)
        {
            ns = null;
            try
            {
                ns = NetworkNamespace.Resolve(text);
                return true;
            }
            catch (TcpCloseException ex) when (ex.ErrorId == ErrorIds.NetworkNamespaceNotFound)
            {
                WriteTcpError(ex);
                return false;
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
                return false;
            }
        }

        /// <summary>
        /// A property of a piped object (the module's own, deserialized, or a CSV row) as invariant
        /// text; a DateTime as round-trip UTC text. Null when the object has no such property.
        /// </summary>
        protected static string PropertyText(PSObject item, string name)
        {
            object v = item?.Properties[name]?.Value;
            if (v is PSObject p)
            {
                v = p.BaseObject;
            }

            return v is DateTime d ? d.ToUniversalTime().ToString("o", System.Globalization.CultureInfo.InvariantCulture)
                : v == null ? null : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>-Timeout seconds to the core's TimeSpan, never throwing (the core validates).</summary>
        protected static TimeSpan ToTimeout(double seconds) => Seconds.ToTimeSpan(seconds);
    }
}
