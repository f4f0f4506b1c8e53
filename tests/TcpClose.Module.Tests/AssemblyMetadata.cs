using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace TcpClose.Module.Tests;

/// <summary>A cmdlet as its attributes declare it, read from metadata.</summary>
internal sealed record CmdletModel(
    string Namespace,
    string ClassName,
    bool IsPublic,
    bool IsSealed,
    string Verb,
    string Noun,
    bool SupportsShouldProcess,
    string? DefaultParameterSetName,
    IReadOnlyList<string> OutputTypes,
    IReadOnlyList<ParameterModel> Parameters)
{
    public string Name => $"{Verb}-{Noun}";

    public override string ToString() => Name;
}

/// <summary>A property with one [Parameter] per parameter set it belongs to.</summary>
/// <param name="DeclaringType">Full name of the class that declares the property (the cmdlet, or a base class of it).</param>
internal sealed record ParameterModel(string Name, string TypeName, IReadOnlyList<IReadOnlyDictionary<string, object?>> ParameterAttributes, string DeclaringType);

/// <summary>
/// Reads assemblies with System.Reflection.Metadata only: TcpClose.dll is never loaded for
/// execution (its PowerShell reference is a stub, and loading it would pin the file).
/// </summary>
internal static class AssemblyMetadata
{
    private static readonly Lazy<IReadOnlyList<CmdletModel>> s_cmdlets = new(() => ReadCmdlets(ModuleFiles.CmdletAssembly));

    public static IReadOnlyList<CmdletModel> Cmdlets => s_cmdlets.Value;

    public static IReadOnlyList<CmdletModel> ReadCmdlets(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();
        var provider = new TypeNameProvider();
        var cmdlets = new List<CmdletModel>();

        foreach (TypeDefinitionHandle handle in md.TypeDefinitions)
        {
            TypeDefinition type = md.GetTypeDefinition(handle);
            CustomAttributeValue<string>? cmdlet = null;
            var outputTypes = new List<string>();
            foreach (CustomAttributeHandle ah in type.GetCustomAttributes())
            {
                CustomAttribute attribute = md.GetCustomAttribute(ah);
                switch (AttributeTypeName(md, attribute))
                {
                    case "System.Management.Automation.CmdletAttribute":
                        cmdlet = attribute.DecodeValue(provider);
                        break;
                    case "System.Management.Automation.OutputTypeAttribute":
                        foreach (var arg in attribute.DecodeValue(provider).FixedArguments)
                        {
                            foreach (var element in (ImmutableArray<CustomAttributeTypedArgument<string>>)arg.Value!)
                            {
                                // typeof(X) is stored as an assembly-qualified name; strings as themselves.
                                outputTypes.Add(((string)element.Value!).Split(',')[0].Trim());
                            }
                        }

                        break;
                }
            }

            if (cmdlet is not { } c)
            {
                continue;
            }

            var named = c.NamedArguments.ToDictionary(a => a.Name!, a => a.Value);
            cmdlets.Add(new CmdletModel(
                md.GetString(type.Namespace),
                md.GetString(type.Name),
                (type.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public,
                (type.Attributes & TypeAttributes.Sealed) != 0,
                (string)c.FixedArguments[0].Value!,
                (string)c.FixedArguments[1].Value!,
                named.TryGetValue("SupportsShouldProcess", out var ssp) && (bool)ssp!,
                named.TryGetValue("DefaultParameterSetName", out var dps) ? (string?)dps : null,
                outputTypes,
                ReadParameters(md, type, provider)));
        }

        return cmdlets;
    }

    /// <summary>Names of every type the assembly references, as Namespace.Name.</summary>
    public static IReadOnlyList<string> TypeReferences(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();
        return md.TypeReferences.Select(h => md.GetTypeReference(h)).Select(t => $"{md.GetString(t.Namespace)}.{md.GetString(t.Name)}").ToList();
    }

    /// <summary>Full names of the interfaces a type defined in the assembly implements directly.</summary>
    public static IReadOnlyList<string> InterfacesOf(string path, string fullTypeName)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();
        var provider = new TypeNameProvider();
        foreach (TypeDefinitionHandle handle in md.TypeDefinitions)
        {
            TypeDefinition type = md.GetTypeDefinition(handle);
            if ($"{md.GetString(type.Namespace)}.{md.GetString(type.Name)}" != fullTypeName)
            {
                continue;
            }

            return type.GetInterfaceImplementations()
                .Select(i => md.GetInterfaceImplementation(i).Interface)
                .Select(h => h.Kind == HandleKind.TypeReference
                    ? provider.GetTypeFromReference(md, (TypeReferenceHandle)h, 0)
                    : provider.GetTypeFromDefinition(md, (TypeDefinitionHandle)h, 0))
                .ToList();
        }

        return Array.Empty<string>();
    }

    /// <summary>The public constant fields of a type, by name (approved verbs, enum members).</summary>
    public static IReadOnlyDictionary<string, object?> Constants(string path, string fullTypeName)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();
        var result = new Dictionary<string, object?>();
        foreach (TypeDefinitionHandle handle in md.TypeDefinitions)
        {
            TypeDefinition type = md.GetTypeDefinition(handle);
            if ($"{md.GetString(type.Namespace)}.{md.GetString(type.Name)}" != fullTypeName)
            {
                continue;
            }

            foreach (FieldDefinitionHandle fh in type.GetFields())
            {
                FieldDefinition field = md.GetFieldDefinition(fh);
                if ((field.Attributes & FieldAttributes.Literal) == 0 || (field.Attributes & FieldAttributes.FieldAccessMask) != FieldAttributes.Public)
                {
                    continue;
                }

                Constant constant = md.GetConstant(field.GetDefaultValue());
                BlobReader blob = md.GetBlobReader(constant.Value);
                result[md.GetString(field.Name)] = constant.TypeCode switch
                {
                    ConstantTypeCode.String => blob.ReadUTF16(blob.Length),
                    ConstantTypeCode.Int32 => blob.ReadInt32(),
                    _ => blob.ReadConstant(constant.TypeCode),
                };
            }
        }

        return result;
    }

    private static IReadOnlyList<ParameterModel> ReadParameters(MetadataReader md, TypeDefinition type, TypeNameProvider provider)
    {
        var parameters = new List<ParameterModel>();
        var signatures = new SignatureNameProvider();

        // PowerShell binds the [Parameter] properties of base classes too (TcpTableCmdlet's filters):
        // walk up while the base type is defined in this assembly.
        var properties = type.GetProperties().Select(p => (Property: p, Declarer: FullName(md, type))).ToList();
        for (EntityHandle baseHandle = type.BaseType; baseHandle.Kind == HandleKind.TypeDefinition;)
        {
            TypeDefinition baseType = md.GetTypeDefinition((TypeDefinitionHandle)baseHandle);
            properties.AddRange(baseType.GetProperties().Select(p => (Property: p, Declarer: FullName(md, baseType))));
            baseHandle = baseType.BaseType;
        }

        foreach (var (ph, declarer) in properties)
        {
            PropertyDefinition property = md.GetPropertyDefinition(ph);
            var sets = new List<IReadOnlyDictionary<string, object?>>();
            foreach (CustomAttributeHandle ah in property.GetCustomAttributes())
            {
                CustomAttribute attribute = md.GetCustomAttribute(ah);
                if (AttributeTypeName(md, attribute) == "System.Management.Automation.ParameterAttribute")
                {
                    sets.Add(attribute.DecodeValue(provider).NamedArguments.ToDictionary(a => a.Name!, a => a.Value));
                }
            }

            if (sets.Count > 0)
            {
                string typeName = property.DecodeSignature(signatures, null).ReturnType;
                parameters.Add(new ParameterModel(md.GetString(property.Name), typeName, sets, declarer));
            }
        }

        return parameters;
    }

    private static string AttributeTypeName(MetadataReader md, CustomAttribute attribute)
    {
        EntityHandle parent = attribute.Constructor.Kind switch
        {
            HandleKind.MemberReference => md.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent,
            HandleKind.MethodDefinition => md.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType(),
            _ => default,
        };
        return parent.Kind switch
        {
            HandleKind.TypeReference => FullName(md, md.GetTypeReference((TypeReferenceHandle)parent)),
            HandleKind.TypeDefinition => FullName(md, md.GetTypeDefinition((TypeDefinitionHandle)parent)),
            _ => string.Empty,
        };
    }

    internal static string FullName(MetadataReader md, TypeReference t) => $"{md.GetString(t.Namespace)}.{md.GetString(t.Name)}";

    internal static string FullName(MetadataReader md, TypeDefinition t) => $"{md.GetString(t.Namespace)}.{md.GetString(t.Name)}";

    /// <summary>Custom attribute arguments decoded to type names (typeof arguments become strings).</summary>
    private sealed class TypeNameProvider : ICustomAttributeTypeProvider<string>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSystemType() => "System.Type";
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => FullName(reader, reader.GetTypeDefinition(handle));
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => FullName(reader, reader.GetTypeReference(handle));
        public string GetTypeFromSerializedName(string name) => name;
        // Only PowerShell enums appear in these attributes (ConfirmImpact), all int-based.
        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;
        public bool IsSystemType(string type) => type == "System.Type";
    }

    /// <summary>Property signatures decoded to readable type names (System.String[], System.Management.Automation.SwitchParameter).</summary>
    private sealed class SignatureNameProvider : ISignatureTypeProvider<string, object?>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => "System." + typeCode;
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => FullName(reader, reader.GetTypeDefinition(handle));
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => FullName(reader, reader.GetTypeReference(handle));
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPinnedType(string elementType) => elementType;
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => $"{genericType}<{string.Join(",", typeArguments)}>";
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) => "spec";
    }
}
