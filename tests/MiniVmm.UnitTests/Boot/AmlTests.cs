using MiniVmm.Machine.Boot.Acpi;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// AML encodings against the bytes ACPI 6.5 chapter 20 prescribes, worked out by hand here; the whole
/// DSDT is checked against iasl's own compilation in <see cref="DsdtTests"/>.
/// </summary>
public sealed class AmlTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x01 })]            // PkgLength counts itself
    [InlineData(62, new byte[] { 0x3F })]           // 63 in all: still one byte
    [InlineData(63, new byte[] { 0x41, 0x04 })]     // 65 = 0x041: lead 01xx_0001, then 0x04
    [InlineData(4093, new byte[] { 0x4F, 0xFF })]   // 4095 = 0xFFF, the largest two-byte length
    [InlineData(4094, new byte[] { 0x81, 0x00, 0x01 })] // 4097 = 0x1001 in three bytes
    public void PkgLength_uses_as_few_bytes_as_the_length_allows(int contentBytes, byte[] lead)
    {
        byte[] encoded = Aml.Package(new byte[contentBytes]);
        Assert.Equal(lead, encoded[..lead.Length]);
        Assert.Equal(lead.Length + contentBytes, encoded.Length);
    }

    [Theory]
    [InlineData(0ul, new byte[] { 0x00 })]                                   // ZeroOp
    [InlineData(1ul, new byte[] { 0x01 })]                                   // OneOp
    [InlineData(5ul, new byte[] { 0x0A, 0x05 })]                             // BytePrefix
    [InlineData(0xFFul, new byte[] { 0x0A, 0xFF })]
    [InlineData(0x100ul, new byte[] { 0x0B, 0x00, 0x01 })]                   // WordPrefix
    [InlineData(0xFEBF_FFFFul, new byte[] { 0x0C, 0xFF, 0xFF, 0xBF, 0xFE })] // DWordPrefix
    [InlineData(0x1_0000_0000ul, new byte[] { 0x0E, 0, 0, 0, 0, 1, 0, 0, 0 })] // QWordPrefix
    public void Integers_take_the_shortest_encoding(ulong value, byte[] expected) =>
        Assert.Equal(expected, Aml.Integer(value));

    [Theory]
    [InlineData("PNP0A03", new byte[] { 0x0C, 0x41, 0xD0, 0x0A, 0x03 })] // 0x030AD041, the value every DSDT carries
    [InlineData("PNP0B00", new byte[] { 0x0C, 0x41, 0xD0, 0x0B, 0x00 })]
    [InlineData("QEM0001", new byte[] { 0x0C, 0x44, 0xAD, 0x00, 0x01 })] // Q=17 E=5 M=13: 10001 00101 01101
    public void EisaId_packs_three_letters_and_four_hex_digits(string id, byte[] expected) =>
        Assert.Equal(expected, Aml.EisaId(id));

    [Theory]
    [InlineData("_HID", new byte[] { 0x5F, 0x48, 0x49, 0x44 })]
    [InlineData("RTC", new byte[] { 0x52, 0x54, 0x43, 0x5F })]               // padded with '_'
    [InlineData("\\_SB", new byte[] { 0x5C, 0x5F, 0x53, 0x42, 0x5F })]      // RootChar
    [InlineData("\\_SB.PCI0", new byte[] { 0x5C, 0x2E, 0x5F, 0x53, 0x42, 0x5F, 0x50, 0x43, 0x49, 0x30 })] // DualNamePrefix
    [InlineData("A.B.C", new byte[] { 0x2F, 0x03, 0x41, 0x5F, 0x5F, 0x5F, 0x42, 0x5F, 0x5F, 0x5F, 0x43, 0x5F, 0x5F, 0x5F })]
    [InlineData("^^X", new byte[] { 0x5E, 0x5E, 0x58, 0x5F, 0x5F, 0x5F })]
    public void Name_strings_follow_20_2_2(string path, byte[] expected) =>
        Assert.Equal(expected, Aml.NameString(path));

    [Theory]
    [InlineData("1ABC")]  // a segment cannot start with a digit
    [InlineData("ABCDE")] // more than four characters
    [InlineData("pci0")]  // lower case
    [InlineData("")]
    public void Bad_names_are_refused(string path) =>
        Assert.Throws<ArgumentException>(() => Aml.NameString(path));

    [Fact]
    public void Strings_packages_and_names_nest_as_the_grammar_says()
    {
        Assert.Equal(new byte[] { 0x0D, 0x51, 0x45, 0x4D, 0x55, 0x30, 0x30, 0x30, 0x31, 0x00 }, Aml.String("QEMU0001"));
        // Name (_S5, Package () { 5, 5, 0, 0 }): NameOp "_S5_" PackageOp PkgLength(8) NumElements(4) ...
        Assert.Equal(
            new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00 },
            Aml.Name("_S5", Aml.PackageOf(Aml.Integer(5), Aml.Integer(5), Aml.Integer(0), Aml.Integer(0))));
        // Device (X) {}: ExtOpPrefix DeviceOp PkgLength(5) "X___"
        Assert.Equal(new byte[] { 0x5B, 0x82, 0x05, 0x58, 0x5F, 0x5F, 0x5F }, Aml.Device("X"));
        Assert.Throws<ArgumentException>(() => Aml.String("bad\0"));
    }

    [Fact]
    public void Resource_descriptors_have_the_6_4_layouts()
    {
        // IO (Decode16, 0x70, 0x70, 1, 2): small item 0x47 (type 8, length 7).
        Assert.Equal(new byte[] { 0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02 }, AmlResource.IoPort(0x70, 0x70, 1, 2));
        // WordBusNumber (0, 0): large item 0x88, length 13, type 2 (bus), flags MinFixed|MaxFixed, length 1.
        Assert.Equal(
            new byte[] { 0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00 },
            AmlResource.WordBusNumber(0, 0));
        // DWordMemory (0xC0000000 - 0xFEBFFFFF): 0x87, length 23, type 0, non-cacheable read-write, length 0x3EC00000.
        Assert.Equal(
            new byte[] { 0x87, 0x17, 0x00, 0x00, 0x0C, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0xBF, 0xFE, 0, 0, 0, 0, 0x00, 0x00, 0xC0, 0x3E },
            AmlResource.DWordMemory(0xC000_0000, 0xFEBF_FFFF));
        // ResourceTemplate () {}: Buffer (2) { End Tag }.
        Assert.Equal(new byte[] { 0x11, 0x05, 0x0A, 0x02, 0x79, 0x00 }, Aml.ResourceTemplate());
    }
}
