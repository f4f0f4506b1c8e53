using System.Management.Automation;

namespace TcpClose
{
    /// <summary>
    /// Closes every listener and connection this process opened when the module is removed
    /// (Remove-Module), so a re-import does not find its ports still held. Process exit is handled by
    /// the core's registry. IModuleAssemblyCleanup exists in Windows PowerShell 5.1 as well as in
    /// PowerShell 7, so this type loads on both.
    /// </summary>
    public sealed class ModuleCleanup : IModuleAssemblyCleanup
    {
        /// <summary>Called by PowerShell when the module is removed.</summary>
        public void OnRemove(PSModuleInfo psModuleInfo) => TcpRegistry.CloseAll();
    }
}
