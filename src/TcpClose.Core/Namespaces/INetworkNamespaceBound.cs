namespace TcpClose
{
    /// <summary>An output object that says which network namespace it was read or made in (null: the caller's own, none asked for).</summary>
    public interface INetworkNamespaceBound
    {
        /// <summary>The namespace's name, else net:[INODE]; null where -NetworkNamespace was not used.</summary>
        string NetworkNamespace { get; }
    }
}
