; Inno Setup script: AccountDesk for Windows (per-user or all-users install, Start-menu entry,
; optional desktop icon, file icon, uninstaller).
;
; Build (after PyInstaller made dist\AccountDesk\):
;   python installer\build.py windows
; which runs:
;   iscc /DAppVersion=<version of the package> /DSourceDir=<repo>\dist\AccountDesk installer\windows\accountdesk.iss
; The version below is only the fallback when iscc is run by hand; tests/test_installer.py checks
; that it matches the package version.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\AccountDesk"
#endif
#define AppName "AccountDesk"
#define AppExe "AccountDesk.exe"
#define CliExe "accountdesk-cli.exe"
#define AppPublisher "AccountDesk"

[Setup]
AppId={{8B3F4C1E-6A2D-4E7B-9C51-2F0D7A9E4B13}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=AccountDesk-{#AppVersion}-setup
SetupIconFile=..\..\resources\accountdesk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes
; the user's profile (%LOCALAPPDATA%\AccountDesk) is data, never removed by the uninstaller

[Languages]
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\..\resources\accountdesk.ico"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; IconFilename: "{app}\accountdesk.ico"; Comment: "AccountDesk 大客户工作台"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; IconFilename: "{app}\accountdesk.ico"; Tasks: desktopicon

[Registry]
; The file icon: AccountDesk backups (*.adbackup: `accountdesk export backup --out FILE.adbackup`)
; show the app's icon in Explorer.
Root: HKA; Subkey: "Software\Classes\.adbackup"; ValueType: string; ValueName: ""; ValueData: "AccountDesk.Backup"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\AccountDesk.Backup"; ValueType: string; ValueName: ""; ValueData: "AccountDesk backup"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\AccountDesk.Backup\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\accountdesk.ico,0"

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
