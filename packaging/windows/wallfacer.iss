; Inno Setup script: makes dist\WallfacerSetup.exe from the PyInstaller bundle.
;   pyinstaller build.spec --noconfirm && iscc packaging\windows\wallfacer.iss
#define AppVersion GetEnv("WALLFACER_VERSION")
#if AppVersion == ""
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6C1E3F4A-9B57-4E2B-9E0F-5A1D2C3B4A5F}
AppName=Wallfacer
AppVersion={#AppVersion}
AppPublisher=Wallfacer
DefaultDirName={autopf}\Wallfacer
DefaultGroupName=Wallfacer
OutputDir=..\..\dist
OutputBaseFilename=WallfacerSetup
SetupIconFile=..\..\assets\icons\wallfacer.ico
UninstallDisplayIcon={app}\Wallfacer.exe
Compression=lzma2
SolidCompression=yes
PrivilegesRequired=lowest
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "..\..\dist\Wallfacer\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Wallfacer"; Filename: "{app}\Wallfacer.exe"
Name: "{autodesktop}\Wallfacer"; Filename: "{app}\Wallfacer.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop icon"; Flags: unchecked

[Run]
Filename: "{app}\Wallfacer.exe"; Description: "Start Wallfacer"; Flags: nowait postinstall skipifsilent
