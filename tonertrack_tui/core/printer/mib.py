"""OIDs and enumerations of Printer-MIB (RFC 3805, IANA-PRINTER-MIB) and Host-Resources-MIB (RFC 2790).

OIDs are tuples of ints: numeric, because Printer-MIB is not bundled with pysnmp and
MIB look-ups cost CPU on every poll.
"""

from __future__ import annotations

OID = tuple[int, ...]


def oid(text: str) -> OID:
    return tuple(int(part) for part in text.strip(".").split("."))


def oid_str(value: OID) -> str:
    return ".".join(str(n) for n in value)


# --- SNMPv2-MIB system group (scalars, instance .0) -------------------------------------
SYS_DESCR = oid("1.3.6.1.2.1.1.1")
SYS_OBJECT_ID = oid("1.3.6.1.2.1.1.2")
SYS_UPTIME = oid("1.3.6.1.2.1.1.3")
SYS_CONTACT = oid("1.3.6.1.2.1.1.4")
SYS_NAME = oid("1.3.6.1.2.1.1.5")
SYS_LOCATION = oid("1.3.6.1.2.1.1.6")

# --- HOST-RESOURCES-MIB ------------------------------------------------------------------
HR_DEVICE_ENTRY = oid("1.3.6.1.2.1.25.3.2.1")
HR_DEVICE_TYPE = HR_DEVICE_ENTRY + (2,)
HR_DEVICE_DESCR = HR_DEVICE_ENTRY + (3,)
HR_DEVICE_STATUS = HR_DEVICE_ENTRY + (5,)
HR_DEVICE_PRINTER = oid("1.3.6.1.2.1.25.3.1.5")  # hrDeviceType value of a printer

HR_PRINTER_ENTRY = oid("1.3.6.1.2.1.25.3.5.1")
HR_PRINTER_STATUS = HR_PRINTER_ENTRY + (1,)
HR_PRINTER_ERROR_STATE = HR_PRINTER_ENTRY + (2,)

HR_DEVICE_STATUS_NAMES = {1: "unknown", 2: "running", 3: "warning", 4: "testing", 5: "down"}
HR_PRINTER_STATUS_NAMES = {1: "other", 2: "unknown", 3: "idle", 4: "printing", 5: "warmup"}

# hrPrinterDetectedErrorState: bit 0 is the MOST significant bit of the first octet.
ERROR_STATE_BITS = (
    "lowPaper", "noPaper", "lowToner", "noToner", "doorOpen", "jammed", "offline", "serviceRequested",
    "inputTrayMissing", "outputTrayMissing", "markerSupplyMissing", "outputNearFull", "outputFull",
    "inputTrayEmpty", "overduePreventMaint",
)

# --- Printer-MIB ----------------------------------------------------------------------------
PRT_GENERAL_CONFIG_CHANGES = oid("1.3.6.1.2.1.43.5.1.1.1")
PRT_GENERAL_SERIAL = oid("1.3.6.1.2.1.43.5.1.1.17")

PRT_INPUT_ENTRY = oid("1.3.6.1.2.1.43.8.2.1")
PRT_INPUT_UNIT = PRT_INPUT_ENTRY + (8,)
PRT_INPUT_MAX = PRT_INPUT_ENTRY + (9,)
PRT_INPUT_LEVEL = PRT_INPUT_ENTRY + (10,)
PRT_INPUT_STATUS = PRT_INPUT_ENTRY + (11,)
PRT_INPUT_MEDIA = PRT_INPUT_ENTRY + (12,)
PRT_INPUT_NAME = PRT_INPUT_ENTRY + (13,)
PRT_INPUT_DESCR = PRT_INPUT_ENTRY + (18,)

PRT_MARKER_ENTRY = oid("1.3.6.1.2.1.43.10.2.1")
PRT_MARKER_COUNTER_UNIT = PRT_MARKER_ENTRY + (3,)
PRT_MARKER_LIFE_COUNT = PRT_MARKER_ENTRY + (4,)

PRT_SUPPLIES_ENTRY = oid("1.3.6.1.2.1.43.11.1.1")
PRT_SUPPLIES_COLORANT = PRT_SUPPLIES_ENTRY + (3,)
PRT_SUPPLIES_CLASS = PRT_SUPPLIES_ENTRY + (4,)
PRT_SUPPLIES_TYPE = PRT_SUPPLIES_ENTRY + (5,)
PRT_SUPPLIES_DESCR = PRT_SUPPLIES_ENTRY + (6,)
PRT_SUPPLIES_UNIT = PRT_SUPPLIES_ENTRY + (7,)
PRT_SUPPLIES_MAX = PRT_SUPPLIES_ENTRY + (8,)
PRT_SUPPLIES_LEVEL = PRT_SUPPLIES_ENTRY + (9,)

PRT_COLORANT_VALUE = oid("1.3.6.1.2.1.43.12.1.1.4")

PRT_ALERT_ENTRY = oid("1.3.6.1.2.1.43.18.1.1")
PRT_ALERT_SEVERITY = PRT_ALERT_ENTRY + (2,)
PRT_ALERT_TRAINING = PRT_ALERT_ENTRY + (3,)
PRT_ALERT_GROUP = PRT_ALERT_ENTRY + (4,)
PRT_ALERT_GROUP_INDEX = PRT_ALERT_ENTRY + (5,)
PRT_ALERT_LOCATION = PRT_ALERT_ENTRY + (6,)
PRT_ALERT_CODE = PRT_ALERT_ENTRY + (7,)
PRT_ALERT_DESCR = PRT_ALERT_ENTRY + (8,)

# prtMarkerSuppliesClass
SUPPLY_CLASS_NAMES = {1: "other", 3: "consumed", 4: "receptacle"}

# IANA PrtMarkerSuppliesTypeTC
SUPPLY_TYPE_NAMES = {
    1: "other", 2: "unknown", 3: "toner", 4: "wasteToner", 5: "ink", 6: "inkCartridge",
    7: "inkRibbon", 8: "wasteInk", 9: "opc", 10: "developer", 11: "fuserOil", 12: "solidWax",
    13: "ribbonWax", 14: "wasteWax", 15: "fuser", 16: "coronaWire", 17: "fuserOilWick",
    18: "cleanerUnit", 19: "fuserCleaningPad", 20: "transferUnit", 21: "tonerCartridge",
    22: "fuserOiler", 23: "water", 24: "wasteWater", 25: "glueWaterAdditive", 26: "wastePaper",
    27: "bindingSupply", 28: "bandingSupply", 29: "stitchingWire", 30: "shrinkWrap",
    31: "paperWrap", 32: "staples", 33: "inserts", 34: "covers", 35: "matteToner", 36: "matteInk",
}

# Our grouping of supply types: the kind people order and reason about.
SUPPLY_TYPE_KIND = {
    "toner": "toner", "tonerCartridge": "toner", "matteToner": "toner",
    "ink": "ink", "inkCartridge": "ink", "inkRibbon": "ink", "matteInk": "ink",
    "solidWax": "ink", "ribbonWax": "ink",
    "opc": "drum",
    "developer": "developer",
    "fuser": "fuser", "fuserOil": "fuser", "fuserOilWick": "fuser", "fuserCleaningPad": "fuser",
    "fuserOiler": "fuser",
    "transferUnit": "transfer",
    "wasteToner": "waste", "wasteInk": "waste", "wasteWax": "waste", "wasteWater": "waste",
    "wastePaper": "waste",
    "staples": "staples", "stitchingWire": "staples",
}
KINDS = ("toner", "ink", "drum", "developer", "fuser", "transfer", "waste", "staples", "other")

# IANA PrtMarkerSuppliesSupplyUnitTC (also PrtCapacityUnitTC for trays)
UNIT_NAMES = {
    1: "other", 2: "unknown", 3: "tenThousandthsOfInches", 4: "micrometers", 7: "impressions", 8: "sheets", 11: "hours",
    12: "thousandthsOfOunces",
    13: "tenthsOfGrams", 14: "hundrethsOfFluidOunces", 15: "tenthsOfMilliliters", 16: "feet",
    17: "meters", 18: "items", 19: "percent",
}

# Special values of prtMarkerSuppliesLevel / prtInputCurrentLevel
LEVEL_UNRESTRICTED = -1
LEVEL_UNKNOWN = -2
LEVEL_SOME_REMAINING = -3

# IANA PrtAlertCodeTC (subset with names people recognise; others shown by number)
ALERT_SEVERITY_NAMES = {1: "other", 3: "critical", 4: "warning", 5: "warning_binary"}
ALERT_TRAINING_NAMES = {
    1: "other", 2: "unknown", 3: "untrained", 4: "trained", 5: "fieldService", 6: "management",
    7: "noInterventionRequired",
}
ALERT_GROUP_NAMES = {
    1: "other", 3: "hostResourcesMIBStorageTable", 4: "hostResourcesMIBDeviceTable",
    5: "generalPrinter", 6: "cover", 7: "localization", 8: "input", 9: "output", 10: "marker",
    11: "markerSupplies", 12: "markerColorant", 13: "mediaPath", 14: "channel", 15: "interpreter",
    16: "consoleDisplayBuffer", 17: "consoleLights", 18: "alert", 30: "finDevice",
    31: "finSupply", 32: "finSupplyMediaInput", 33: "finAttribute",
}
ALERT_CODE_NAMES = {
    1: "other", 2: "unknown",
    3: "coverOpen", 4: "coverClosed", 5: "interlockOpen", 6: "interlockClosed",
    7: "configurationChange", 8: "jam", 9: "subunitMissing", 10: "subunitLifeAlmostOver",
    11: "subunitLifeOver", 12: "subunitAlmostEmpty", 13: "subunitEmpty", 14: "subunitAlmostFull",
    15: "subunitFull", 16: "subunitNearLimit", 17: "subunitAtLimit", 18: "subunitOpened",
    19: "subunitClosed", 20: "subunitTurnedOn", 21: "subunitTurnedOff", 22: "subunitOffline",
    23: "subunitPowerSaver", 24: "subunitWarmingUp", 25: "subunitAdded", 26: "subunitRemoved",
    27: "subunitResourceAdded", 28: "subunitResourceRemoved", 29: "subunitRecoverableFailure",
    30: "subunitUnrecoverableFailure", 31: "subunitRecoverableStorageError",
    32: "subunitUnrecoverableStorageError", 33: "subunitMotorFailure", 34: "subunitMemoryExhausted",
    35: "subunitUnderTemperature", 36: "subunitOverTemperature", 37: "subunitTimingFailure",
    38: "subunitThermistorFailure",
    501: "doorOpen", 502: "doorClosed", 503: "powerUp", 504: "powerDown", 505: "printerNMSReset",
    506: "printerManualReset", 507: "printerReadyToPrint",
    801: "inputMediaTrayMissing", 802: "inputMediaSizeChange", 803: "inputMediaWeightChange",
    804: "inputMediaTypeChange", 805: "inputMediaColorChange", 806: "inputMediaFormPartsChange",
    807: "inputMediaSupplyLow", 808: "inputMediaSupplyEmpty", 809: "inputManualInputRequest",
    810: "inputManualInputRequestCancelled", 811: "inputTrayPositionFailure",
    812: "inputTrayElevationFailure", 813: "inputCannotFeedSizeSelected",
    901: "outputMediaTrayMissing", 902: "outputMediaTrayAlmostFull", 903: "outputMediaTrayFull",
    904: "outputMailboxSelectFailure",
    1001: "markerFuserUnderTemperature", 1002: "markerFuserOverTemperature",
    1003: "markerFuserTimingFailure", 1004: "markerFuserThermistorFailure",
    1005: "markerAdjustingPrintQuality",
    1101: "markerTonerEmpty", 1102: "markerInkEmpty", 1103: "markerPrintRibbonEmpty",
    1104: "markerTonerAlmostEmpty", 1105: "markerInkAlmostEmpty", 1106: "markerPrintRibbonAlmostEmpty",
    1107: "markerWasteTonerReceptacleAlmostFull", 1108: "markerWasteInkReceptacleAlmostFull",
    1109: "markerWasteTonerReceptacleFull", 1110: "markerWasteInkReceptacleFull",
    1111: "markerOpcLifeAlmostOver", 1112: "markerOpcLifeOver", 1113: "markerDeveloperAlmostEmpty",
    1114: "markerDeveloperEmpty", 1115: "markerTonerCartridgeMissing",
    1301: "mediaPathMediaTrayMissing", 1302: "mediaPathMediaTrayAlmostFull",
    1303: "mediaPathMediaTrayFull", 1304: "mediaPathCannotDuplexMediaSelected",
    1501: "interpreterMemoryIncrease", 1502: "interpreterMemoryDecrease",
    1503: "interpreterCartridgeAdded", 1504: "interpreterCartridgeDeleted",
    1505: "interpreterResourceAdded", 1506: "interpreterResourceDeleted",
    1507: "interpreterResourceUnavailable", 1509: "interpreterComplexPageEncountered",
    1801: "alertRemovalOfBinaryChangeEntry",
}
# Alert codes that are information, not a problem (energy saver, power up, ready ...).
ALERT_CODES_NOT_A_PROBLEM = frozenset({4, 6, 7, 19, 20, 23, 24, 25, 27, 502, 503, 507, 1801})

# prtMarkerColorantValue names we map to a canonical colour
COLOR_WORDS = {
    "black": "black", "schwarz": "black", "noir": "black", "nero": "black", "negro": "black",
    "cyan": "cyan", "magenta": "magenta", "yellow": "yellow", "gelb": "yellow", "jaune": "yellow",
    "giallo": "yellow", "amarillo": "yellow",
    "photo black": "photo black", "matte black": "matte black", "light cyan": "light cyan",
    "light magenta": "light magenta", "gray": "gray", "grey": "gray", "light black": "light black",
    "red": "red", "green": "green", "blue": "blue", "white": "white", "clear": "clear",
    "gold": "gold", "silver": "silver",
}
