// dash
